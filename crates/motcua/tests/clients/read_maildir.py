"""Prints the messages of a Maildir as JSON: recipient, subject and body,
decoded (what a mail client would show)."""
import email
import email.policy
import json
import mailbox
import sys

out = []
for key, message in mailbox.Maildir(sys.argv[1], factory=None, create=False).items():
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    body = parsed.get_body(preferencelist=("plain",))
    out.append({
        "to": str(parsed["To"]),
        "from": str(parsed["From"]),
        "subject": str(parsed["Subject"]),
        "body": body.get_content() if body is not None else "",
    })
out.sort(key=lambda m: m["body"])
print(json.dumps(out, ensure_ascii=False))
