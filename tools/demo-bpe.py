#!/usr/bin/python3
"""demo-bpe.py: a byte-level BPE vocabulary in CLIP's format, learned from captions.

CLIP's tokenizer (OpenAI's simple_tokenizer.py, and src/clip/clip-tokenizer.c
after it) reads vocab.json and merges.txt laid out in one way:

  vocab ids 0..255     the 256 byte symbols of bytes_to_unicode()
  vocab ids 256..511   the same symbols + "</w>" (a symbol that ends a word)
  then one id per merge, in merges.txt order
  then <|startoftext|> and <|endoftext|>, last: the text encoder pools at the
  largest id, which must therefore be the end token.

merges.txt is "#version: 0.2" and then one "left right" rule a line, most
frequent first. This module learns such merges from a caption corpus
(Sennrich et al.'s algorithm, ties broken by the pair's text so the result is
deterministic), writes the two files, and encodes text the way CLIP does, so
the trainer feeds the model exactly the ids the C engine will produce.

    demo-bpe.py --out DIR CAPTIONS.txt...   (one caption a line)

numpy-free and torch-free: the standard library only.
"""

import argparse
import collections
import html
import json
import os
import re
import sys

START, END = "<|startoftext|>", "<|endoftext|>"

# CLIP's pattern with \p{L} and \p{N} written for Python's re module: exact
# for ASCII text, which is all the demo captions and prompts use.
PATTERN = re.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|[^\s\w]+|_+""",
    re.IGNORECASE)


def bytes_to_unicode():
    """CLIP's (and GPT-2's) reversible map from bytes to printable characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE_ENCODER = bytes_to_unicode()


def clean(text):
    """simple_tokenizer's basic_clean + whitespace_clean + lower(), without ftfy
    (a no-op on ASCII)."""
    text = html.unescape(html.unescape(text)).strip()
    return re.sub(r"\s+", " ", text).strip().lower()


def word_symbols(word):
    """A pre-token as its initial symbols, the last one marked as the word end."""
    chars = [BYTE_ENCODER[b] for b in word.encode("utf-8")]
    chars[-1] += "</w>"
    return tuple(chars)


def learn(texts, max_merges=2000, min_count=2):
    """Merge rules learned from `texts`, most frequent pair first."""
    words = collections.Counter()
    for text in texts:
        for token in PATTERN.findall(clean(text)):
            words[word_symbols(token)] += 1
    words = dict(words)
    merges = []
    while len(merges) < max_merges:
        pairs = collections.Counter()
        for symbols, freq in words.items():
            for pair in zip(symbols, symbols[1:]):
                pairs[pair] += freq
        if not pairs:
            break
        # Most frequent, then the smallest pair text: the same merges every run.
        best, count = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        if count < min_count:
            break
        merges.append(best)
        merged = best[0] + best[1]
        new_words = {}
        for symbols, freq in words.items():
            out, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                    out.append(merged)
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            new_words[tuple(out)] = new_words.get(tuple(out), 0) + freq
        words = new_words
    return merges


def build_vocab(merges):
    """token → id in CLIP's layout (see the module comment)."""
    symbols = list(BYTE_ENCODER.values())
    vocab = {}
    for s in symbols + [s + "</w>" for s in symbols]:
        vocab[s] = len(vocab)
    for a, b in merges:
        # Two rules can build the same string; it keeps its first id, as a
        # dict built from CLIP's list would keep one entry.
        vocab.setdefault(a + b, len(vocab))
    vocab[START] = len(vocab)
    vocab[END] = len(vocab)
    return vocab


def write(out_dir, merges):
    os.makedirs(out_dir, exist_ok=True)
    vocab = build_vocab(merges)
    with open(os.path.join(out_dir, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(out_dir, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    return vocab


def read(model_dir):
    with open(os.path.join(model_dir, "vocab.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    merges = []
    with open(os.path.join(model_dir, "merges.txt"), encoding="utf-8") as f:
        for n, line in enumerate(f):
            line = line.rstrip("\n")
            if not line or (n == 0 and line.startswith("#version")):
                continue
            merges.append(tuple(line.split(" ")))
    return vocab, merges


class Tokenizer:
    """simple_tokenizer.SimpleTokenizer over a vocab.json + merges.txt."""

    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.ranks = {pair: i for i, pair in enumerate(merges)}
        self.start, self.end = vocab[START], vocab[END]
        self.cache = {}

    @classmethod
    def from_dir(cls, model_dir):
        return cls(*read(model_dir))

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = list(word_symbols(token))
        while len(word) > 1:
            pairs = set(zip(word, word[1:]))
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        ids = [self.vocab[s] for s in word]
        self.cache[token] = ids
        return ids

    def encode(self, text, context_length=None):
        """[start] + ids + [end], truncated with the end token kept, as the C engine does."""
        ids = [self.start]
        for token in PATTERN.findall(clean(text)):
            ids += self.bpe(token)
        ids.append(self.end)
        if context_length and len(ids) > context_length:
            ids = ids[:context_length]
            ids[-1] = self.end
        return ids


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="folder for vocab.json and merges.txt")
    p.add_argument("--max-merges", type=int, default=2000)
    p.add_argument("captions", nargs="+", help="text files, one caption a line")
    a = p.parse_args(argv)
    texts = []
    for path in a.captions:
        with open(path, encoding="utf-8") as f:
            texts += [line.strip() for line in f if line.strip()]
    vocab = write(a.out, learn(texts, a.max_merges))
    print(f"{len(vocab)} tokens", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
