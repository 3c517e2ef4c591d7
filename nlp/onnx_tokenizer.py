"""tokenizer.json for PhoBERT-class models, whose tokenizer exists only in "slow" Python form.

PhoBERT (vinai/phobert-*) and models fine-tuned from it ship a fairseq dictionary (`vocab.txt`,
"token count" per line) and fastBPE merges (`bpe.codes`, "left right count" per line), read by
transformers' PhobertTokenizer; there is no fast tokenizer, so an ONNX export has no
`tokenizer.json` for nlp.onnx_backend. This builds one with the `tokenizers` library that gives
the same ids as PhobertTokenizer:

- ids: <s> 0, <pad> 1, </s> 2, <unk> 3, then the dictionary in file order, then <mask>;
- words are split on whitespace; each word's characters are merged by the codes' ranks, the
  last character carrying "</w>" (fastBPE's end of word). A piece that does not end a word is
  spelled "piece@@" in the dictionary; here it is "piece", and a word-final "piece" is
  "piece</w>" (tokenizers' `end_of_word_suffix`);
- a symbol the merges pass through but the dictionary lacks (fairseq pruned it) gets an id at
  or above the model's vocabulary size; nlp.onnx_backend maps such ids to <unk>, as
  PhobertTokenizer maps any piece it cannot find;
- "<s> text </s>" around each text.

    python -m nlp.onnx_tokenizer vocab.txt bpe.codes OUT_DIR/tokenizer.json
"""

from __future__ import annotations

import argparse
from pathlib import Path

SPECIAL = ("<s>", "<pad>", "</s>", "<unk>")
UNKNOWN = SPECIAL[3]
MASK = "<mask>"
END = "</w>"
CONTINUED = "@@"


def _dictionary(path: Path) -> list[str]:
    """The fairseq dictionary's tokens in file order (each line "token count")."""
    tokens = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        token, sep, _count = line.strip().rpartition(" ")
        if not sep or not token:
            raise ValueError(f"{path}:{number}: expected '<token> <count>', got {line!r}")
        tokens.append(token)
    return tokens


def _merges(path: Path) -> list[tuple[str, str]]:
    """fastBPE's merges in rank order (each line "left right count")."""
    merges = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        parts = line.split()
        if len(parts) != 3:
            raise ValueError(f"{path}:{number}: expected '<left> <right> <count>', got {line!r}")
        merges.append((parts[0], parts[1]))
    return merges


def _bpe_spelling(token: str) -> str:
    """A dictionary token as tokenizers' BPE spells it: "x@@" -> "x", a word end "x" -> "x</w>"."""
    return token[:-len(CONTINUED)] if token.endswith(CONTINUED) else token + END


def build(vocab_file: str | Path, codes_file: str | Path):
    """The `tokenizers.Tokenizer` equivalent of PhobertTokenizer(vocab_file, codes_file)."""
    from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers, processors

    vocab: dict[str, int] = {token: i for i, token in enumerate(SPECIAL)}
    for token in _dictionary(Path(vocab_file)):
        vocab.setdefault(_bpe_spelling(token), len(vocab))
    vocab[MASK] = len(vocab)  # PhobertTokenizer adds <mask> after the dictionary
    merges = _merges(Path(codes_file))
    spare = len(vocab)  # pruned symbols: ids the model does not have, read as <unk>
    for left, right in merges:
        for symbol in (left, right, left + right):
            if symbol not in vocab:
                vocab[symbol] = spare
                spare += 1
    tokenizer = Tokenizer(models.BPE(vocab, merges, unk_token=UNKNOWN, end_of_word_suffix=END))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.add_special_tokens([AddedToken(MASK, special=True)])  # keeps its id: in vocab
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", 0), ("</s>", 2)])
    return tokenizer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp.onnx_tokenizer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("vocab", help="the model's vocab.txt (fairseq dictionary)")
    parser.add_argument("codes", help="the model's bpe.codes (fastBPE merges)")
    parser.add_argument("out", help="where to write tokenizer.json")
    args = parser.parse_args(argv)
    build(args.vocab, args.codes).save(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
