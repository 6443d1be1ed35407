-- wrk script for the HTTP lookup through the exchange layer: replays the
-- requests `motcua bench exchange-requests` signed (a Lua file returning an
-- array of raw HTTP/1.1 requests, named by MOTCUA_BENCH_REQUESTS), each
-- thread starting at its own place in the array.
local requests = dofile(os.getenv("MOTCUA_BENCH_REQUESTS"))
local next_thread = 0
local i = 0

function setup(thread)
  thread:set("offset", next_thread * 7919)
  next_thread = next_thread + 1
end

function init(args)
  i = (offset or 0) % #requests
end

function request()
  i = i + 1
  if i > #requests then i = 1 end
  return requests[i]
end
