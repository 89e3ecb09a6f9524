"""Text generation from a TextGenerationModel: greedy, temperature sampling, sentence completion, beam search.

tau follows the report: characters are drawn from softmax(tau * logits), so tau is an inverse temperature
(larger is greedier; tau -> infinity is greedy). The common temperature is 1 / tau.
"""
import math

import torch
import torch.nn.functional as F

from uvadl2019.checks import UserError, check_whole, is_number
from uvadl2019.memory import check_large
from part2.dataset import decode, encode


def check_decoding(length, tau=None, beam_width=None):
    """length: characters to generate (0 or more); tau: None (greedy) or a positive number, inf greedy too;
    beam_width: None or at least 1. A bad value is a UserError (a ValueError) naming it."""
    check_whole(0, length=length)
    if beam_width is not None:
        check_whole(1, beam_width=beam_width)
    check_large(torch.device("cpu"), length * 64, length=length)  # the characters generated, one tensor each
    if tau is not None and not (is_number(tau) and tau > 0):
        raise UserError(f"--tau must be a positive number (inf: greedy), got {tau!r}")


def tempered_softmax(logits, tau):
    """softmax(tau * logits) over the last dimension; tau a number or a tensor that broadcasts (one per row: (B, 1)).
    Computed as softmax(tau * (logits - max)), which no finite tau overflows."""
    return torch.softmax(tau * (logits - logits.amax(dim=-1, keepdim=True)), dim=-1)


def pick_next(logits, tau=None, generator=None):
    """Next characters (B,) from logits (B, V): argmax where tau is None or inf, else drawn from softmax(tau * logits).

    tau may be one number or one per row.
    """
    greedy = logits.argmax(dim=-1)
    if tau is None:
        return greedy
    tau = torch.as_tensor(tau, dtype=logits.dtype, device=logits.device).expand(len(logits))
    finite = torch.isfinite(tau)
    probs = tempered_softmax(logits, torch.where(finite, tau, 1.0)[:, None])
    sampled = torch.multinomial(probs, 1, generator=generator).squeeze(1)
    return torch.where(finite, sampled, greedy)


@torch.no_grad()
def generate(model, prompt, length, tau=None, generator=None):
    """Continue each row of prompt (B, P) by `length` characters (B, length), carrying the LSTM state; tau: as for
    pick_next."""
    check_decoding(length)
    if prompt.dim() != 2 or prompt.size(1) == 0:
        raise UserError(f"prompt must be (B, P) character indices with P at least 1, got shape {tuple(prompt.shape)}")
    was_training = model.training
    model.eval()
    logits, state = model(prompt)
    generated = []
    for _ in range(length):
        next_char = pick_next(logits[:, -1], tau, generator)
        generated.append(next_char)
        if len(generated) < length:
            logits, state = model(next_char[:, None], state)
    model.train(was_training)
    return torch.stack(generated, dim=1) if generated else prompt.new_zeros(len(prompt), 0)


@torch.no_grad()
def beam_search(model, prompt, length, beam_width):
    """The continuation (length,) of a 1-D prompt with the highest log-probability found by beam search."""
    check_decoding(length, beam_width=beam_width)
    if prompt.dim() != 1 or len(prompt) == 0:
        raise UserError(f"prompt must be 1-D character indices, at least one, got shape {tuple(prompt.shape)}")
    if length == 0:
        return prompt.new_zeros(0), 0.0
    was_training = model.training
    model.eval()
    logits, state = model(prompt[None])
    scores = F.log_softmax(logits[0, -1], dim=-1)  # (V,)
    scores, first = scores.topk(min(beam_width, len(scores)))  # (K,)
    sequences = first[:, None]  # (K, t)
    state = tuple(s.expand(-1, len(first), -1).contiguous() for s in state)  # (layers, K, H)
    for _ in range(length - 1):
        logits, state = model(sequences[:, -1:], state)
        candidates = scores[:, None] + F.log_softmax(logits[:, -1], dim=-1)  # (K, V)
        scores, flat = candidates.flatten().topk(min(beam_width, candidates.numel()))
        beam, char = flat // candidates.size(1), flat % candidates.size(1)
        sequences = torch.cat([sequences[beam], char[:, None]], dim=1)
        state = tuple(s[:, beam] for s in state)
    model.train(was_training)
    return sequences[0], scores[0].item()


@torch.no_grad()
def log_probability(model, prompt, continuation):
    """log p(continuation | prompt) under the model, for 1-D index tensors."""
    was_training = model.training
    model.eval()
    text = torch.cat([prompt, continuation])
    logits, _ = model(text[None, :-1])
    log_probs = F.log_softmax(logits[0, len(prompt) - 1:], dim=-1)
    model.train(was_training)
    return log_probs.gather(1, continuation[:, None]).sum().item()


def complete(model, vocabulary, prompt, length, tau=None, beam_width=None, generator=None):
    """Sentence completion: `prompt` (at least one character) followed by `length` generated characters (greedy,
    tau or beam search)."""
    check_decoding(length, tau, beam_width)
    if not isinstance(prompt, str) or not prompt:
        raise UserError(f"--prompt must be at least one character of the book, got {prompt!r}")
    device = next(model.parameters()).device
    try:
        ids = torch.tensor(encode(prompt, vocabulary), dtype=torch.long, device=device)
    except ValueError as e:
        raise UserError(f"--prompt {prompt!r}: {e}; leave them out or replace them") from None
    if beam_width is not None:
        continuation, _ = beam_search(model, ids, length, beam_width)
    else:
        continuation = generate(model, ids[None], length, tau, generator)[0]
    return prompt + decode(continuation, vocabulary)


def training_samples(model, vocabulary, generator, lengths=(15, 30, 50, 100), taus=(0.5, 1.0, 2.0)):
    """(length, mode, text) for each length and mode (greedy, then each tau), each from a random first character.

    All samples are drawn in one batch; a sample of length L has L characters, the first one included.
    """
    device = next(model.parameters()).device
    modes = [("greedy", math.inf)] + [(f"tau={tau:g}", tau) for tau in taus]
    rows = [(length, name, tau) for length in lengths for name, tau in modes]
    first = torch.randint(0, len(vocabulary), (len(rows), 1), generator=generator, device=generator.device).to(device)
    tau = torch.tensor([t for _, _, t in rows], device=device)
    text = torch.cat([first, generate(model, first, max(lengths) - 1, tau, generator)], dim=1)
    return [(length, name, decode(row[:length], vocabulary)) for (length, name, _), row in zip(rows, text)]
