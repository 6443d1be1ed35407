-- wrk script for the token endpoints: client_credentials with
-- client_secret_basic; BASIC is base64("client_id:client_secret").
wrk.method = "POST"
wrk.body = "grant_type=client_credentials&scope=pid"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BASIC")

local failures = 0
function response(status, headers, body)
  if status ~= 200 then
    failures = failures + 1
    if failures <= 3 then io.stderr:write("status " .. status .. ": " .. body .. "\n") end
  end
end
