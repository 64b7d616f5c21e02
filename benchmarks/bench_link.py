"""Information bits per second through ``DigitalLink``: against the bare Sionna chain, and against batch size.

Table 1: the bare chain is encoder -> mapper -> AWGN -> demapper -> decoder with the same codeword size, batch and
iterations, both with Sionna's decoder. Both run in the same process, interleaved, and the medians of
``--repeats`` runs are compared.

Table 2: 4-scale images per second as an evaluation sends them (each image with its own seeded channel, AWGN at
4 dB) against images per link call, for each decoder backend this machine has: cpp on one core and on every
core (``--workers``), Sionna on a GPU if there is one.

    .venv/bin/python benchmarks/bench_link.py [--repeats 5] [--images 64] [--batches 1,4,16,64]
"""

import argparse
import os
import statistics
import time

import torch
from sionna.phy.channel import AWGN
from sionna.phy.fec.ldpc import LDPC5GDecoder, LDPC5GEncoder
from sionna.phy.mapping import Demapper, Mapper

from vqdeepsc.link.channel import snr_db_to_no
from vqdeepsc.link.phy import DigitalLink, plan_codewords

SNR_DB = 4.0
CASES = (  # (what, payload bits, payloads): the bare chain sends the same codewords
    ("3-scale image, 8 per batch", 7616, 8),
    ("4-scale image, 4 per batch", 20032, 4),
    ("k = 8448, 32 per batch", 8448, 32),
)


def bare_chain(k: int):
    """Sionna's own chain for ``k`` information bits per codeword at rate 1/3."""
    encoder = LDPC5GEncoder(k, 3 * k, num_bits_per_symbol=4)
    decoder = LDPC5GDecoder(encoder, num_iter=20, hard_out=True, return_infobits=True)
    mapper, demapper, awgn = Mapper("qam", 4), Demapper("app", "qam", 4), AWGN()
    no = snr_db_to_no(SNR_DB)
    return lambda u: decoder(demapper(awgn(mapper(encoder(u)), no), no))


def timed(fn, x) -> float:
    start = time.perf_counter()
    fn(x)
    return time.perf_counter() - start


def batch_table(images: int, batches: list[int], workers: int, repeats: int) -> None:
    """Table 2: images per second against images per link call."""
    setups = [("cpp, 1 core", dict(backend="cpp")), (f"cpp, {workers} workers", dict(backend="cpp", workers=workers))]
    if torch.cuda.is_available():
        setups.append(("sionna, cuda", dict(backend="sionna", device="cuda")))
    print(f"\n{images} 4-scale images (20032 bits) over AWGN at {SNR_DB:g} dB, each with its own generator\n")
    print("| backend | " + " | ".join(f"{b} per call (images/s)" for b in batches) + " |")
    print("|---|" + "---:|" * len(batches))
    bits = torch.randint(0, 2, (images, 20032), generator=torch.Generator().manual_seed(1)).float()
    for name, options in setups:
        link = DigitalLink("awgn", **options)
        device = options.get("device", "cpu")

        def send(batch):
            for start in range(0, images, batch):
                part = bits[start:start + batch].to(device)
                link.send(part, SNR_DB, [torch.Generator(device).manual_seed(start + i) for i in range(len(part))])

        send(batches[-1])  # build and warm up
        rates = [images / statistics.median(timed(send, b) for _ in range(repeats)) for b in batches]
        print(f"| {name} | " + " | ".join(f"{r:.1f}" for r in rates) + " |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--images", type=int, default=64, help="images per measurement of table 2")
    parser.add_argument("--batches", default="1,4,16,64", help="images per link call in table 2")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="processes of the parallel cpp decoder")
    args = parser.parse_args()
    link, generator = DigitalLink("awgn", backend="sionna"), torch.Generator().manual_seed(0)
    print(f"torch threads: {torch.get_num_threads()}, {args.repeats} interleaved repeats, medians\n")
    print("| case | codewords x k | bare Sionna (kbit/s) | DigitalLink (kbit/s) | ratio |")
    print("|---|---|---:|---:|---:|")
    for what, payload_bits, payloads in CASES:
        plan = plan_codewords(payload_bits)
        codewords = plan.num_codewords * payloads
        bits = torch.randint(0, 2, (payloads, payload_bits), generator=generator).float()
        u = torch.randint(0, 2, (codewords, plan.k), generator=generator).float()
        bare = bare_chain(plan.k)
        ours = lambda b: link(b, SNR_DB, generator)  # noqa: E731
        bare(u), ours(bits)  # build and warm up
        times = {"bare": [], "ours": []}
        for _ in range(args.repeats):
            times["bare"].append(timed(bare, u))
            times["ours"].append(timed(ours, bits))
        rate_bare = codewords * plan.k / statistics.median(times["bare"]) / 1e3
        rate_ours = payloads * payload_bits / statistics.median(times["ours"]) / 1e3
        print(f"| {what} | {codewords} x {plan.k} | {rate_bare:.1f} | {rate_ours:.1f} | {rate_ours / rate_bare:.2f} |",
              flush=True)
    batch_table(args.images, [int(b) for b in args.batches.split(",")], args.workers, args.repeats)


if __name__ == "__main__":
    main()
