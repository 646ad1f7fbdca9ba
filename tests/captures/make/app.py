# A tiny ASGI app for the h2c upgrade capture (served by hypercorn).
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = b"<!doctype html><html><body>upgraded to h2c</body></html>\n"
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/html"), (b"server", b"trawl-h2c")]})
    await send({"type": "http.response.body", "body": body})
