"""A QUIC exchange with aioquic, for captures: `quic.py server` listens on 10.10.0.2:4433;
`quic.py client VERSION HOST` connects (VERSION 1 or 2), sends a request on a stream
and reads the echo."""
import asyncio
import sys

from aioquic.asyncio import connect, serve
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import StreamDataReceived
from aioquic.quic.packet import QuicProtocolVersion


class Echo(QuicConnectionProtocol):
    def quic_event_received(self, event):
        if isinstance(event, StreamDataReceived):
            self._quic.send_stream_data(event.stream_id, b"echo: " + event.data, end_stream=event.end_stream)
            self.transmit()


async def server():
    cfg = QuicConfiguration(is_client=False, alpn_protocols=["trawl-echo", "h3"])
    cfg.supported_versions = [QuicProtocolVersion.VERSION_1, QuicProtocolVersion.VERSION_2]
    cfg.load_cert_chain("quic-cert.pem", "quic-key.pem")
    await serve("10.10.0.2", 4433, configuration=cfg, create_protocol=Echo)
    await asyncio.Future()


async def client(version, host):
    cfg = QuicConfiguration(is_client=True, alpn_protocols=["trawl-echo"], server_name=host)
    cfg.verify_mode = False
    cfg.supported_versions = [QuicProtocolVersion.VERSION_2 if version == "2" else QuicProtocolVersion.VERSION_1]
    async with connect("10.10.0.2", 4433, configuration=cfg) as c:
        r, w = await c.create_stream()
        w.write(b"GET /hello\r\n")
        w.write_eof()
        print((await r.read()).decode())


if __name__ == "__main__":
    if sys.argv[1] == "server":
        asyncio.run(server())
    else:
        asyncio.run(client(sys.argv[2], sys.argv[3]))
