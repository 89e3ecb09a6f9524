"""Generate text with a trained checkpoint: python -m part2.generate --checkpoint PATH --prompt "..." --length 200.

Greedy by default; --tau T samples from softmax(T * logits) (the report's convention: larger is greedier);
--temperature T is the same as --tau 1/T; --beam_width K runs beam search.
"""
import torch

from common.cli import ArgumentParser, UserError, check_at_least, check_positive, check_seeds, run_main
from common.device import DEVICE_HELP, resolve_device
from common.memory import check_fits
from part2.checkpoint import load_checkpoint
from part2.model import TextGenerationModel
from part2.sample import complete


def load_model(path, device):
    """(model in eval mode, vocabulary) from a part2.train checkpoint, on `device` whatever it was trained on."""
    state = load_checkpoint(path, device)
    config = state["config"]
    try:
        model = TextGenerationModel(config["batch_size"], config["seq_length"], len(state["vocabulary"]),
                                    config["lstm_num_hidden"], config["lstm_num_layers"], device=device)
        model.load_state_dict(state["model"])
    except (KeyError, TypeError, ValueError, RuntimeError):  # a configuration that does not fit its weights
        raise UserError(f"the weights in '{path}' do not fit the configuration stored with them; the checkpoint "
                        f"is damaged or was edited") from None
    return model.eval(), state["vocabulary"]


def build_parser():
    p = ArgumentParser(prog="python -m part2.generate", description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", required=True, help="checkpoint.pt written by part2.train")
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
    model, vocabulary = load_model(args.checkpoint, device)
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
