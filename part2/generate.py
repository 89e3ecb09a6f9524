"""Generate text: python -m part2.generate --prompt "..." --length 200 [--checkpoint PATH].

Without --checkpoint, the shipped model (pretrained/) writes. Greedy by default; --tau T samples from
softmax(T * logits) (the report's convention: larger is greedier); --temperature T is the same as --tau 1/T;
--beam_width K runs beam search.
"""
import sys
from dataclasses import dataclass

import torch

from uvadl2019.checks import UserError, check_at_least, check_positive, check_seeds
from uvadl2019.cli import Config, option, parse_into, run_main
from uvadl2019.device import DEVICE_HELP, resolve_device
from uvadl2019.memory import check_fits
from part2.longrun.checkpoint import load_model
from part2.paper import pretrained
from part2.sample import check_decoding, complete


@dataclass(frozen=True)
class GenerateConfig(Config):
    """What to generate, and with which model. Constructing it checks it."""
    checkpoint: str = option(None, "checkpoint.pt written by part2.train (default: the shipped model, pretrained/)",
                             type=str)
    prompt: str = option("", "text to complete (default: one random character)")
    length: int = option(200, "characters to generate after the prompt (default: 200)")
    greedy: bool = option(False, "always the most likely character (the default)")
    tau: float = option(None, "sample from softmax(tau * logits); larger tau is greedier", type=float)
    temperature: float = option(None, "sample from softmax(logits / temperature)", type=float)
    beam_width: int = option(None, "beam search with this many beams", type=int)
    num_samples: int = option(1, "texts to write, one after another from the same random stream; more than one "
                                 "needs --tau or --temperature where --prompt is given (default: 1)")
    seed: int = option(42, "seed of the sampling (default: 42)")
    device: str = option("auto", DEVICE_HELP)

    def check(self):
        modes = [f"--{name}" for name in ("greedy", "tau", "temperature", "beam_width")
                 if getattr(self, name) not in (None, False)]
        if len(modes) > 1:
            raise UserError(f"{' and '.join(modes)} exclude each other; give one of them")
        check_decoding(self.length, beam_width=self.beam_width)
        check_positive(tau=self.tau, temperature=self.temperature)  # finite, as every number a command takes
        check_at_least(1, num_samples=self.num_samples)
        if self.num_samples > 1 and self.prompt and self.tau is None and self.temperature is None:
            raise UserError(f"--num_samples {self.num_samples}: greedy decoding and beam search complete a --prompt "
                            f"one way only; add --tau or --temperature to draw different texts")
        check_seeds("seed", self.seed)


def main(argv=None):
    args = parse_into(GenerateConfig, argv, "python -m part2.generate", __doc__.splitlines()[0])
    device = resolve_device(args.device)
    if args.checkpoint:
        model, vocabulary = load_model(args.checkpoint, device)
    else:
        model, vocabulary = pretrained.load_pretrained(device)
    beams = {"beam_width": args.beam_width} if args.beam_width else {}
    # What each sequence kept holds: its characters, its LSTM state twice over, its candidates' scores. Beam search
    # keeps --beam_width of them, fewer while the vocabulary's continuations number fewer.
    kept = min(args.beam_width or 1, len(vocabulary) ** min(args.length, 64))
    state = 2 * model.lstm.num_layers * model.lstm.hidden_size * 4
    check_fits(device, kept * (args.length * 64 + 2 * state + 3 * len(vocabulary) * 4), length=args.length, **beams)
    if not args.checkpoint:
        print(f"No --checkpoint: generating with the shipped model in {pretrained.FOLDER}.", file=sys.stderr)
    generator = torch.Generator(device=device).manual_seed(args.seed)
    tau = 1.0 / args.temperature if args.temperature else args.tau
    for _ in range(args.num_samples):
        prompt = args.prompt
        if not prompt:
            prompt = vocabulary[torch.randint(len(vocabulary), (1,), generator=generator, device=device).item()]
        print(complete(model, vocabulary, prompt, args.length, tau=tau, beam_width=args.beam_width,
                       generator=generator))


if __name__ == "__main__":
    run_main(main, "part2.generate")
