"""Generate text: python -m part2.generate --prompt "..." --length 200 [--checkpoint PATH].

Without --checkpoint, the shipped model (pretrained/) writes. Greedy by default; --tau T samples from
softmax(T * logits) (the report's convention: larger is greedier); --temperature T is the same as --tau 1/T;
--beam_width K runs beam search.
"""
import sys

import torch

from common.cli import ArgumentParser, UserError, check_at_least, check_positive, check_seeds, run_main
from common.device import DEVICE_HELP, resolve_device
from common.memory import check_fits
from part2.checkpoint import load_model
from part2.pretrained import load_pretrained
from part2.sample import complete


def build_parser():
    p = ArgumentParser(prog="python -m part2.generate", description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", help="checkpoint.pt written by part2.train (default: the shipped model, "
                                        "pretrained/)")
    p.add_argument("--prompt", default="", help="text to complete (default: one random character)")
    p.add_argument("--length", type=int, default=200, help="characters to generate after the prompt (default: 200)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--greedy", action="store_true", help="always the most likely character (the default)")
    mode.add_argument("--tau", type=float, help="sample from softmax(tau * logits); larger tau is greedier")
    mode.add_argument("--temperature", type=float, help="sample from softmax(logits / temperature)")
    mode.add_argument("--beam_width", type=int, help="beam search with this many beams")
    p.add_argument("--seed", type=int, default=42, help="seed of the sampling (default: 42)")
    p.add_argument("--device", default="auto", help=DEVICE_HELP)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    check_at_least(0, length=args.length)
    check_positive(tau=args.tau, temperature=args.temperature)
    check_at_least(1, beam_width=args.beam_width)
    check_seeds("seed", args.seed)
    device = resolve_device(args.device)
    check_fits(device, args.length * 64 * (args.beam_width or 1), length=args.length)  # the sequences kept
    if args.checkpoint:
        model, vocabulary = load_model(args.checkpoint, device)
    else:
        model, vocabulary = load_pretrained(device)
        print("No --checkpoint: generating with the shipped model in pretrained/.", file=sys.stderr)
    generator = torch.Generator(device=device).manual_seed(args.seed)
    prompt = args.prompt
    if not prompt:
        prompt = vocabulary[torch.randint(len(vocabulary), (1,), generator=generator, device=device).item()]
    tau = 1.0 / args.temperature if args.temperature else args.tau
    try:
        text = complete(model, vocabulary, prompt, args.length, tau=tau, beam_width=args.beam_width,
                        generator=generator)
    except ValueError as e:  # a prompt character the book never had
        raise UserError(f"{e}; change the prompt") from None
    print(text)


if __name__ == "__main__":
    run_main(main, "part2.generate")
