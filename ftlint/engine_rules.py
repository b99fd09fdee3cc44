"""The engine's own codes (FT0xx): what makes a byte, a line or a whole file unreadable.

They are part of the engine, not a plugin: always registered, and their errors are reported
whatever `select` says (a gate must never pass data it could not read); `ignore` and
per-file-ignores still switch a code off by its code or name.
"""
from __future__ import annotations

from ftlint.diagnostics import Severity
from ftlint.rule import ReaderRule, Rule


class InternalError(Rule):
    """A rule crashed on this file.

    ## What it does
    Reports that a rule raised an exception. The other rules still ran; the crashed rule is
    skipped for the rest of the file. An unexpected error while reading a file is reported the
    same way, for that file only: the other files are still checked.

    ## Why
    A quality gate must never pass a file silently because one of its checks broke, and must
    never stop all checks because one broke. The run exits 1 so the gap is noticed.

    ## Example
    `ftlint: FT000 rule FT999 (acme-rule) crashed near this line: KeyError: 'prompt'`

    ## Use instead
    Nothing to change in the data: the rule is at fault. Disable it for now with
    `--ignore CODE` (the finding says which), and report the message.

    ## Fix
    None: report the message (it names the rule) as a bug.
    """

    code = "FT000"
    name = "internal-error"
    severity = Severity.ERROR


class InvalidJson(ReaderRule):
    """The line is not valid JSON.

    ## What it does
    Reports a line that JSON parsers reject, at the column where parsing failed.

    ## Why
    The fine-tuning API rejects the whole file when one line does not parse, after the upload.
    An integer of more than 4,300 digits is reported here too: Python's JSON parser, and so
    the loaders built on it, refuse it.

    ## Example
    ```
    {"prompt": "Capital of Japan?\\n\\n###\\n\\n", "completion": " Tokyo END"
    ```
    (the closing brace is missing).

    ## Use instead
    ```
    {"prompt": "Capital of Japan?\\n\\n###\\n\\n", "completion": " Tokyo END"}
    ```

    ## Fix
    None automatic: the intended value cannot be guessed; repair the line by hand (the
    column shows where parsing stopped).
    """

    code = "FT001"
    name = "invalid-json"
    severity = Severity.ERROR


class NotAnObject(ReaderRule):
    """The line is valid JSON but not an object.

    ## What it does
    Reports a line holding an array, a string, a number, `true`/`false` or `null`.

    ## Why
    Every line of a fine-tuning file must be one JSON object (one example).

    ## Example
    ```
    ["Capital of Japan?", " Tokyo"]
    ```

    ## Use instead
    ```
    {"prompt": "Capital of Japan?", "completion": " Tokyo"}
    ```

    ## Fix
    None automatic: which value is the prompt and which the completion is yours to say.
    """

    code = "FT002"
    name = "not-an-object"
    severity = Severity.ERROR


class ConcatenatedObjects(ReaderRule):
    """Two or more JSON values stand on one line.

    ## What it does
    Reports a line like `{...}{...}`, common after copying examples together by hand.

    ## Why
    JSONL needs one object per line; the API rejects the line.

    ## Example
    ```
    {"prompt": "a", "completion": " b"}{"prompt": "c", "completion": " d"}
    ```

    ## Use instead
    ```
    {"prompt": "a", "completion": " b"}
    {"prompt": "c", "completion": " d"}
    ```

    ## Fix
    Split the line into one line per object, each byte-identical to its part (safe).
    """

    code = "FT003"
    name = "concatenated-objects"
    severity = Severity.ERROR


class TrailingCharacters(ReaderRule):
    """Characters follow the JSON object on the line.

    ## What it does
    Reports text after the closing brace, such as the `.` that ends a sentence in a document
    the example was copied from.

    ## Why
    The line does not parse as JSON, so the API rejects it.

    ## Example
    ```
    {"prompt": "Ad: ...\\nSupported:", "completion": " yes"}.
    ```

    ## Use instead
    ```
    {"prompt": "Ad: ...\\nSupported:", "completion": " yes"}
    ```

    ## Fix
    Remove the trailing text: safe when it is only `.`, `,` or `;`, otherwise unsafe.
    """

    code = "FT004"
    name = "trailing-characters"
    severity = Severity.ERROR


class BlankLine(ReaderRule):
    """The line is empty or only whitespace.

    ## What it does
    Reports blank lines between records (a file's final newline is not a blank line): one
    finding per run of blank lines, or one for the file when a blank line follows every record
    (a convention, reported once like yamllint's `new-lines`).

    ## Why
    Some loaders treat a blank line as an invalid record; none gain anything from it.

    ## Example
    ```
    {"prompt": "a", "completion": " b"}

    {"prompt": "c", "completion": " d"}
    ```

    ## Use instead
    ```
    {"prompt": "a", "completion": " b"}
    {"prompt": "c", "completion": " d"}
    ```

    ## Fix
    Remove the line (safe).
    """

    code = "FT005"
    name = "blank-line"
    severity = Severity.WARNING


class InvalidUtf8(ReaderRule):
    """The line holds bytes that are not UTF-8, or an unpaired surrogate escape.

    ## What it does
    Reports the first invalid byte sequence by column, then reads the line with U+FFFD in its
    place so that the other rules still check it. Also reports `"\\ud800"`-style escapes that
    do not form a valid character.

    ## Why
    Fine-tuning files must be UTF-8; a Latin-1 or UTF-16 file, or a mangled byte, is rejected
    or silently garbled.

    ## Example
    A line saved as Latin-1: `{"prompt": "Caf` followed by the single byte `0xE9` and
    `", "completion": " yes"}`.

    ## Use instead
    The same line in UTF-8 (`é` as the two bytes `0xC3 0xA9`):
    ```
    {"prompt": "Café", "completion": " yes"}
    ```

    ## Fix
    None automatic: the right character depends on the encoding the text came from.
    """

    code = "FT006"
    name = "invalid-utf8"
    severity = Severity.ERROR


class ByteOrderMark(ReaderRule):
    """A UTF-8 byte-order mark starts the line.

    ## What it does
    Reports the bytes EF BB BF at the start of a line (the start of the file, or of a file that
    was concatenated onto another).

    ## Why
    Strict JSON parsers reject the line; others make the BOM part of the first key.

    ## Example
    The bytes `EF BB BF` (invisible in most editors) before `{"prompt": "a", "completion": " b"}`.

    ## Use instead
    ```
    {"prompt": "a", "completion": " b"}
    ```
    saved as UTF-8 without BOM.

    ## Fix
    Remove the three bytes; the rest of the line stays byte-identical (safe).
    """

    code = "FT007"
    name = "byte-order-mark"
    severity = Severity.ERROR


class DuplicateKey(ReaderRule):
    """An object has the same key twice.

    ## What it does
    Reports the second occurrence of a key within one object, at any depth.

    ## Why
    Parsers keep one of the values (most keep the last) and drop the other without a word,
    so the example trains on something other than what the author sees.

    ## Example
    ```
    {"prompt": "Review: great\\n\\n###\\n\\n", "completion": " positive", "completion": " negative"}
    ```

    ## Use instead
    ```
    {"prompt": "Review: great\\n\\n###\\n\\n", "completion": " positive"}
    ```

    ## Fix
    None automatic: which value was meant is yours to say; delete the other.
    """

    code = "FT008"
    name = "duplicate-key"
    severity = Severity.ERROR


class NonFiniteNumber(ReaderRule):
    """The line uses NaN, Infinity or -Infinity.

    ## What it does
    Reports these non-standard literals, which Python's `json.dumps` writes by default.

    ## Why
    They are not JSON; strict parsers, including the API's, reject the line.

    ## Example
    ```
    {"prompt": "Score the review\\n\\n###\\n\\n", "completion": " 4", "score": NaN}
    ```

    ## Use instead
    ```
    {"prompt": "Score the review\\n\\n###\\n\\n", "completion": " 4", "score": null}
    ```
    (or drop the key; in Python, `json.dumps(..., allow_nan=False)` refuses such values).

    ## Fix
    None automatic: `null`, a number or no key at all are different meanings.
    """

    code = "FT009"
    name = "non-finite-number"
    severity = Severity.ERROR


class CrlfLineEnding(ReaderRule):
    """The line ends in CRLF.

    ## What it does
    Reports a carriage return before the newline: one finding per line in a file that mixes
    line endings, one for the file when every line ends in CRLF (a convention, reported once).

    ## Why
    Harmless to JSON parsers, but a sign of an editor or tool that may also have changed
    other whitespace; a mixed file makes diffs noisy.

    ## Example
    `{"prompt": "a", "completion": " b"}` followed by the bytes `\\r\\n` (`0D 0A`).

    ## Use instead
    The same line followed by `\\n` alone (Unix line endings).

    ## Fix
    Remove the carriage return (safe).
    """

    code = "FT010"
    name = "crlf-line-ending"
    severity = Severity.INFO


class EmptyFile(ReaderRule):
    """The file holds no records.

    ## What it does
    Reports a file that is empty or only blank lines.

    ## Why
    Usually a failed export; the API rejects an empty training file.

    ## Example
    A `train.jsonl` of 0 bytes, or holding only newlines.

    ## Use instead
    A file with one example per line:
    ```
    {"prompt": "a", "completion": " b"}
    ```

    ## Fix
    None automatic: export the data again.
    """

    code = "FT011"
    name = "empty-file"
    severity = Severity.ERROR


class LineTooLong(ReaderRule):
    """The line is longer than `max-line-bytes` (default 16 MiB) and was not parsed.

    ## What it does
    Skips the line without holding it in memory and reports its size.

    ## Why
    No single training example is that large; such a line is usually a whole file pasted
    into one field, or binary data. Raise `max-line-bytes` in the config to check it anyway.

    ## Example
    A 20 MiB line: a whole document base64-encoded into `prompt`.

    ## Use instead
    An example of the text the model should see (training examples are a few thousand
    tokens at most, FT401), or `max-line-bytes = 33554432` in the config to check such lines.

    ## Fix
    None automatic: shorten the record, or raise `max-line-bytes`.
    """

    code = "FT012"
    name = "line-too-long"
    severity = Severity.ERROR


class MixedFormats(Rule):
    """The file mixes prompt-completion, chat and preference records.

    ## What it does
    Reports once per file the format most records are in and the lines of the others. Each
    record is still checked in its own format: a chat record among prompt-completion records
    gets the chat rules, never "missing prompt".

    ## Why
    A fine-tuning job trains on one format; the API rejects a file whose examples are in
    different formats. Mixed files usually come from concatenating exports.

    ## Example
    ```
    {"prompt": "Capital of Japan?\\n\\n###\\n\\n", "completion": " Tokyo END"}
    {"messages": [{"role": "user", "content": "Capital of Japan?"}, {"role": "assistant", "content": "Tokyo"}]}
    ```

    ## Use instead
    One format per file: convert the minority records (`ftlint convert`) or split the file.

    ## Fix
    None: which format to keep is your choice.
    """

    code = "FT013"
    name = "mixed-formats"
    severity = Severity.ERROR


class NotJsonl(Rule):
    """The file is not JSON Lines at all.

    ## What it does
    Looks at the file's first bytes and reports, once, what the file is instead: UTF-16 or
    UTF-32 text (with or without a byte-order mark), CSV or TSV, one JSON array, pretty-printed
    JSON, plain text, or binary data (a ZIP/xlsx, Parquet or other known format named). The
    lines are then not reported one by one, and `--fix` never rewrites the file.

    ## Why
    The API takes UTF-8 JSON Lines, one object per line. Hundreds of "invalid JSON" findings
    for a file saved in the wrong encoding or format hide the one thing to do: convert it.

    ## Example
    A file saved by Windows PowerShell 5 (`>` writes UTF-16 LE with a byte-order mark), or
    `json.dump(records, f, indent=2)` saved as `train.jsonl`.

    ## Use instead
    The message says how to convert it: `iconv -f UTF-16 -t UTF-8` for the encodings,
    `ftlint convert FILE --to jsonl` for JSON arrays, pretty-printed JSON and CSV/TSV.

    ## Fix
    None: `--fix` leaves the file alone.
    """

    code = "FT014"
    name = "not-jsonl"
    severity = Severity.ERROR


class UnknownFormat(Rule):
    """Records are in no format the fine-tuning API accepts.

    ## What it does
    Reports, once per file, records that are neither chat (`messages`), prompt-completion
    (`prompt`/`completion`) nor preference (`input`/`preferred_output`/`non_preferred_output`)
    when the file has no accepted format to judge them in, and names the common shapes it
    recognises: Alpaca (`instruction`/`input`/`output`), Dolly (`instruction`/`context`/
    `response`), `{"text": ...}`, ShareGPT (`conversations` of `from`/`value` turns), Hugging
    Face TRL preference (`prompt`/`chosen`/`rejected`), TRL KTO (`prompt`/`completion`/`label`),
    TRL conversational prompt/completion (lists of messages) and empty objects, with the
    command that converts them. `--fix` leaves such a file alone.

    ## Why
    No rule can check a record whose format it does not know, so such a file would otherwise
    pass; the API rejects it after the upload.

    ## Example
    ```
    {"instruction": "Name the capital of Japan.", "input": "", "output": "Tokyo"}
    ```

    ## Use instead
    `ftlint convert FILE --to chat` (or `--to preference` for TRL preference data).

    ## Fix
    None: `--fix` leaves the file alone.
    """

    code = "FT015"
    name = "unknown-format"
    severity = Severity.ERROR


class PrettyPrintedRecord(ReaderRule):
    """One record is spread over several lines.

    ## What it does
    Reports a run of lines that, read together, hold one JSON object: a record pretty-printed
    by an editor or `json.dumps(indent=2)` in a file of one-line records. One finding for the
    record, not one reader error per line (a whole file of such records is FT014).

    ## Why
    JSONL needs one object per line: the API rejects every line of it, and no rule can check
    the record until it is on one line.

    ## Example
    ```
    {
      "prompt": "Capital of Japan?\\n\\n###\\n\\n",
      "completion": " Tokyo END"
    }
    ```

    ## Use instead
    ```
    {"prompt": "Capital of Japan?\\n\\n###\\n\\n", "completion": " Tokyo END"}
    ```

    ## Fix
    Join the lines into one, dropping only the whitespace between the JSON tokens (safe: every
    value stays as written). The record is checked by the other rules once it is on one line.
    """

    code = "FT016"
    name = "pretty-printed-record"
    severity = Severity.ERROR


class ValidationConventionMismatch(ReaderRule):
    """The validation file's own conventions differ from its training file's.

    ## What it does
    Checks a validation file (`--validation`) with its training file's separator, stop
    sequence, task and class labels, and reports once, for the file, where the validation
    file's own conventions differ: another separator or stop sequence, labels spelled another
    way (`"id"` against `" id"`), labels that are no training class, another format.

    ## Why
    The validation loss and accuracy measure the model on the training file's conventions; a
    validation file written another way measures something else. Inferred from its own (often
    few) records, a validation file would also get conventions of its own, and false findings.

    ## Example
    Training labels `" positive"`/`" negative"`; validation labels `"positive"`/`"negative"`.

    ## Use instead
    The training file's spellings, separator and stop sequence in the validation file.

    ## Fix
    None: the per-record rules (FT301, FT504, FT201, ...) fix what can be fixed, with the
    training file's conventions.
    """

    code = "FT612"
    name = "validation-convention-mismatch"
    severity = Severity.WARNING


ENGINE_RULES: dict[str, type[Rule]] = {rule.code: rule for rule in (
    InternalError, InvalidJson, NotAnObject, ConcatenatedObjects, TrailingCharacters, BlankLine,
    InvalidUtf8, ByteOrderMark, DuplicateKey, NonFiniteNumber, CrlfLineEnding, EmptyFile, LineTooLong,
    MixedFormats, NotJsonl, UnknownFormat, PrettyPrintedRecord, ValidationConventionMismatch,
)}
OWNER = "engine"  # what `ftlint rules` shows as the plugin of these codes
