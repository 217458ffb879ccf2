"""A TCP proxy on loopback that delays every chunk by DELAY seconds in each direction, keeping
order: PostgreSQL as if across a network, for benches/ab_pairs.sh (BENCHMARKS.md).

    python3 benches/latency_proxy.py LISTEN_PORT TARGET_PORT DELAY_SECONDS

With a delay of 0.0005 s, a psql connection and `SELECT 1` took 14 ms longer than direct on
this machine (asyncio adds to the delay): read the figures as "a few milliseconds of round
trip", not as a calibrated link."""
import asyncio, sys, time

LISTEN, TARGET, DELAY = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])

async def pipe(reader, writer):
    queue = asyncio.Queue()
    async def pump():
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                writer.close()
                return
            writer.write(data)
            await writer.drain()
    task = asyncio.create_task(pump())
    while True:
        data = await reader.read(65536)
        await queue.put((time.monotonic() + DELAY, data))
        if not data:
            break
    await task

async def handle(client_reader, client_writer):
    server_reader, server_writer = await asyncio.open_connection("127.0.0.1", TARGET)
    await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer), return_exceptions=True)

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", LISTEN)
    async with server:
        await server.serve_forever()

asyncio.run(main())
