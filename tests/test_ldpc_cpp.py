"""The cpp decoder backend (the ``ldpc`` package's C++ BP) against Sionna's decoder, and the batched link."""

import pytest
import torch

from vqdeepsc.link.ldpc import SionnaLDPCDecoder
from vqdeepsc.link.ldpc_cpp import CppLDPCDecoder
from vqdeepsc.link.phy import DigitalLink, default_backend


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("channel, snr, max_k", [("awgn", 3.2, 8448), ("rayleigh", 4.8, 3824)])
def test_cpp_decisions_equal_sionnas_on_corrected_and_failing_codewords(channel, snr, max_k):
    """Base graph 1 (k = 6680) and base graph 2 (k = 3340) at their waterfalls: the same channel LLRs into Sionna's
    fixed 20 iterations and the C++ decoder give the same bits and the same parity verdicts, codewords that fail
    included; the posteriors' signs are the decisions."""
    link = DigitalLink(channel, max_k=max_k, backend="sionna")
    u, llr = link.transmit(torch.randint(0, 2, (4, 20032), generator=gen(1)), snr, gen(2))
    encoder = link.codec(u.shape[1])[0]
    sionna, _, sionna_valid = SionnaLDPCDecoder(encoder, early_stop=False)(llr)
    cpp, iterations, cpp_valid = CppLDPCDecoder(encoder)(llr)
    wrong = ((sionna >= 0).float() != u).any(1)
    assert 0 < wrong.sum() < len(u)  # both kinds of codeword are there
    assert torch.equal(cpp >= 0, sionna >= 0) and torch.equal(cpp_valid, sionna_valid)
    assert cpp.abs().max() <= 20 and (iterations[~cpp_valid] == 20).all() and iterations[cpp_valid].float().mean() < 20


def test_cpp_decodes_noiseless_payloads_that_are_codewords_as_received():
    """All-zero and all-one payloads without noise: the received hard decisions may already be a codeword, which the
    ldpc package answers without iterating; the punctured bits (LLR 0) must still come out right."""
    for backend in ("cpp", "sionna"):
        link = DigitalLink("awgn", backend=backend)
        bits = torch.cat([torch.zeros(1, 7616), torch.ones(1, 7616)])
        received, stats, posterior = link(bits, None, gen(), soft=True)
        assert torch.equal(received, bits) and stats.codeword_errors == 0 and posterior.reliable.all(), backend


def test_workers_give_the_same_result_as_one_process():
    link = DigitalLink("rayleigh", backend="sionna")
    u, llr = link.transmit(torch.randint(0, 2, (3, 20032), generator=gen(3)), 4.8, gen(4))
    encoder = link.codec(u.shape[1])[0]
    one = CppLDPCDecoder(encoder)(llr)
    two = CppLDPCDecoder(encoder, workers=2)(llr)
    assert all(torch.equal(a, b) for a, b in zip(one, two))


@pytest.mark.parametrize("payload_bits", [7616, 476])
def test_a_batched_link_gives_each_payload_what_it_gets_alone(payload_bits):
    """One generator per payload: the batch call equals one call per payload with the same seeds, bits, posteriors
    and stats (Rician, at the waterfall, so the bits really depend on the channel draw; 476 bits = 357 symbols, a
    length at which float kernels round by the position in the batch)."""
    bits = torch.randint(0, 2, (3, payload_bits), generator=gen(5))
    link = DigitalLink("rician", 2.0)
    batched, stats, posterior = link.send(bits, 4.0, [gen(10 + i) for i in range(3)])
    alone = [link.send(bits[i:i + 1], 4.0, gen(10 + i)) for i in range(3)]
    assert torch.equal(batched, torch.cat([r for r, _, _ in alone]))
    assert torch.equal(posterior.llr, torch.cat([p.llr for _, _, p in alone]))
    assert stats == [s for _, (s,), _ in alone] and sum(s.bit_errors for s in stats) > 0
    with pytest.raises(ValueError, match="2 generators for 3 payloads"):
        link(bits, 4.0, [gen(), gen()])


def test_backend_choice():
    assert default_backend("cpu") == "cpp" and default_backend("cpu", "fixed") == "sionna"
    assert default_backend("cuda:0") == "sionna"
    assert DigitalLink("awgn").backend == "cpp" and DigitalLink("awgn", decoder="fixed").backend == "sionna"
    with pytest.raises(ValueError, match="use the sionna backend for --decoder fixed"):
        DigitalLink("awgn", decoder="fixed", backend="cpp")
    with pytest.raises(ValueError, match="unknown decoder backend 'fast'"):
        DigitalLink("awgn", backend="fast")
    with pytest.raises(ValueError, match="need the cpp backend"):
        DigitalLink("awgn", backend="sionna", workers=2)
