"""Card data rules: Luhn, expiry, CVV, track 2, reader modes and masking.

No message here ever contains the card number, CVV or track data.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

from edge_app.domain.errors import FieldProblems, ValidationError, refusal
from edge_app.domain.messages import msg

READER_MODES: tuple[str, ...] = ("manual", "swipe", "contact", "contactless")
CHIP_MODES: frozenset[str] = frozenset({"contact", "contactless"})

MAX_ICC_LENGTH = 4096
MAX_HOLDER_NAME_LENGTH = 64
# ISO 7813 track 2 holds at most 37 characters between the sentinels.
MAX_TRACK2_LENGTH = 37

_DIGITS = re.compile(r"[0-9]+")
_TRACK2 = re.compile(r"([0-9]{12,19})[=Dd]([0-9]{4})((?:[0-9]{3})?[0-9]*)")
_HEX = re.compile(r"[0-9A-Fa-f]*")
_CARD_SN = re.compile(r"[0-9]{1,3}")


def luhn_valid(digits: str) -> bool:
    """True when `digits` (ASCII digits only, at least two) passes the Luhn check."""
    if len(digits) < 2 or not _DIGITS.fullmatch(digits):
        return False
    # From the right: every second digit is doubled (less 9 when that is above 9).
    total = sum(map(int, digits[-1::-2])) + sum(map(_DOUBLED.__getitem__, map(int, digits[-2::-2])))
    return total % 10 == 0


_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
# One encoder for every card blob: `json.dumps` with options builds a new one per call.
_JSON = json.JSONEncoder(separators=(",", ":"))


def luhn_check_digit(payload: str) -> str:
    """The digit that makes `payload + digit` pass the Luhn check."""
    if not _DIGITS.fullmatch(payload):
        raise ValueError("The Luhn payload must be digits only.")
    total = 0
    # The check digit will take position 0, so the payload's last digit is doubled.
    for position, char in enumerate(reversed(payload)):
        value = ord(char) - ord("0")
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def looks_like_card_number(text: str) -> bool:
    """Whether `text` is most likely a card number typed or sent where a reference belongs:
    13 to 18 digits (spaces and dashes aside) that pass the Luhn check. The gateway's BRNs are
    19-digit numbers (seed examples), which a Luhn test alone could not tell from a card."""
    digits = text.strip().replace(" ", "").replace("-", "")
    return 13 <= len(digits) <= 18 and luhn_valid(digits)


def normalize_card_number(text: str, field: str = "card_number") -> str:
    """The card number as 12 to 19 digits with a valid check digit (spaces and dashes removed)."""
    number = text.strip().replace(" ", "").replace("-", "")
    if not number:
        raise refusal("card.required", field)
    if not _DIGITS.fullmatch(number) or not 12 <= len(number) <= 19:
        raise refusal("card.length", field)
    if not luhn_valid(number):
        raise refusal("card.luhn", field)
    return number


def _check_yymm(text: str, field: str) -> str:
    value = text.strip()
    if not value:
        raise refusal("expiry.required", field)
    if len(value) != 4 or not _DIGITS.fullmatch(value):
        raise refusal("expiry.shape", field)
    if not 1 <= int(value[2:]) <= 12:
        raise refusal("expiry.month", field)
    return value


_MONTH_SLASH_YEAR = re.compile(r"\s*(0?[1-9]|1[0-2])\s*/\s*([0-9]{2})\s*")


def expiry_as_yymm(text: str) -> str:
    """`MM/YY` as printed on a card (`12/29`) as the gateway's `YYMM` (`2912`); any other text
    is returned unchanged, to be checked as YYMM."""
    match = _MONTH_SLASH_YEAR.fullmatch(text)
    if match is None:
        return text
    return match.group(2) + match.group(1).zfill(2)


def validate_expiry(text: str, today: date, field: str = "expiry") -> str:
    """A YYMM expiry not before today's month (a card is valid through its expiry month)."""
    value = _check_yymm(text, field)
    year, month = 2000 + int(value[:2]), int(value[2:])
    if (year, month) < (today.year, today.month):
        raise refusal("expiry.expired", field, month=value[2:], year=value[:2])
    return value


def validate_cvv(text: str, field: str = "cvv") -> str:
    """A CVV of 3 or 4 digits."""
    value = text.strip()
    if not value:
        raise refusal("cvv.required", field)
    if not _DIGITS.fullmatch(value) or len(value) not in (3, 4):
        raise refusal("cvv.shape", field)
    return value


def mask_card_number(pan: str) -> str:
    """First six and last four digits, the rest as '*' (e.g. 451461******4854).

    Anything shorter than a card number is masked completely, so no caller can leak it.
    """
    number = pan.strip().replace(" ", "").replace("-", "")
    if len(number) < 12:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


@dataclass(frozen=True)
class Track2:
    """ISO 7813 track 2 data. `raw` is the track without its sentinels; keep it out of logs."""

    card_number: str
    expiry: str
    raw: str

    def __repr__(self) -> str:
        return f"Track2(card={mask_card_number(self.card_number)!r})"


def parse_track2(text: str, field: str = "track2") -> Track2:
    """Read a track 2 line as a reader types it, with or without the ';' and '?' sentinels.

    Checks the card number (length and Luhn) and the YYMM shape; whether the card has expired
    is for `validate_expiry` to say.
    """
    raw = text.strip()
    if raw.startswith(";"):
        raw = raw[1:]
    if "?" in raw:
        # Some readers send the longitudinal redundancy check character after the end sentinel.
        raw, _, _ = raw.partition("?")
    if not raw:
        raise refusal("track2.empty", field)
    match = _TRACK2.fullmatch(raw)
    if match is None or len(raw) > MAX_TRACK2_LENGTH:
        raise refusal("track2.shape", field)
    number, expiry = match.group(1), match.group(2)
    if not luhn_valid(number):
        raise refusal("track2.luhn", field)
    if not 1 <= int(expiry[2:]) <= 12:
        raise refusal("track2.expiry", field)
    return Track2(card_number=number, expiry=expiry, raw=raw)


@dataclass(frozen=True, repr=False)
class CardData:
    """Everything about the card that a sale carries. Sensitive: never log or show it whole.

    The repr shows only the reader mode and the masked number. Storage keeps `to_json()`
    encrypted and erases it once the sale's upload has a final answer.
    """

    reader_mode: str
    card_number: str
    expiry: str
    cvv: str | None = None
    track2: str | None = None
    card_sn: str | None = None
    icc_request: str | None = None
    holder_name: str | None = None

    @property
    def masked(self) -> str:
        return mask_card_number(self.card_number)

    def __repr__(self) -> str:
        return f"CardData(reader_mode={self.reader_mode!r}, card={self.masked!r})"

    __str__ = __repr__

    def to_json(self) -> str:
        return _JSON.encode(
            {
                "reader_mode": self.reader_mode,
                "card_number": self.card_number,
                "expiry": self.expiry,
                "cvv": self.cvv,
                "track2": self.track2,
                "card_sn": self.card_sn,
                "icc_request": self.icc_request,
                "holder_name": self.holder_name,
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> CardData:
        """Read what `to_json` wrote; a damaged blob is refused without quoting it."""
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            raise ValidationError("Stored card data is damaged (not JSON).") from None
        if not isinstance(data, dict):
            raise ValidationError("Stored card data is damaged (not an object).")
        for name in _REQUIRED_FIELDS:
            value = data.get(name)
            if not isinstance(value, str) or not value:
                raise ValidationError(f"Stored card data is damaged ({name} is missing).")
        for name in _OPTIONAL_FIELDS:
            value = data.get(name)
            if value is not None and not isinstance(value, str):
                raise ValidationError(f"Stored card data is damaged ({name} is not text).")
        # Called once per record for every upload batch: one constructor call, no helpers.
        return cls(
            reader_mode=data["reader_mode"],
            card_number=data["card_number"],
            expiry=data["expiry"],
            cvv=data.get("cvv"),
            track2=data.get("track2"),
            card_sn=data.get("card_sn"),
            icc_request=data.get("icc_request"),
            holder_name=data.get("holder_name"),
        )


_REQUIRED_FIELDS = ("reader_mode", "card_number", "expiry")
_OPTIONAL_FIELDS = ("cvv", "track2", "card_sn", "icc_request", "holder_name")


def _given(value: str | None) -> str | None:
    """None for a missing or blank input, else the stripped text."""
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def _check_reader_mode(text: str | None) -> str:
    mode = (text or "").strip().lower()
    if mode not in READER_MODES:
        raise refusal("reader_mode.unknown", "reader_mode")
    return mode


def _check_card_sn(text: str) -> str:
    if not _CARD_SN.fullmatch(text):
        raise refusal("card_sn.shape", "card_sn")
    return text


def _check_icc(text: str) -> str:
    if len(text) > MAX_ICC_LENGTH:
        raise refusal("icc.too_long", "icc", n=MAX_ICC_LENGTH)
    if not _HEX.fullmatch(text) or len(text) % 2:
        raise refusal("icc.shape", "icc")
    return text


def _check_holder_name(text: str) -> str:
    if len(text) > MAX_HOLDER_NAME_LENGTH:
        raise refusal("holder.too_long", "holder_name", n=MAX_HOLDER_NAME_LENGTH)
    if not text.isprintable():
        raise refusal("holder.unprintable", "holder_name")
    return text


def validate_card(
    *,
    reader_mode: str,
    card_number: str | None,
    expiry: str | None,
    cvv: str | None,
    track2: str | None,
    card_sn: str | None,
    icc_request: str | None,
    holder_name: str | None = None,
    today: date,
) -> CardData:
    """Check a card as the capture form gives it, reporting every field's problem at once.

    Manual entry needs card number and expiry (CVV optional). Swipe, contact and contactless
    need track 2; contact and contactless also the card sequence number and chip (ICC) data.
    A blank input counts as missing. Missing card number or expiry are taken from track 2;
    given ones must match it. Raises `FormErrors` with fields reader_mode, card_number,
    expiry, cvv, track2, card_sn, icc, holder_name.
    """
    found = FieldProblems()
    mode = found.check("reader_mode", _check_reader_mode, reader_mode)
    track_text = _given(track2)
    track = found.check("track2", parse_track2, track_text)
    if track_text is None and mode is not None and mode != "manual":
        found.add("track2", msg("track2.required", mode=msg(f"mode.{mode}")))
    number = _card_number(found, _given(card_number), track, mode, track_text)
    valid_expiry = _expiry(found, _given(expiry), track, mode, track_text, today)
    valid_cvv = found.check("cvv", validate_cvv, _given(cvv))
    chip = mode in CHIP_MODES
    sn_text = _given(card_sn)
    valid_sn = found.check("card_sn", _check_card_sn, sn_text)
    if sn_text is None and chip:
        found.add("card_sn", msg("card_sn.required", mode=msg(f"mode.{mode}")))
    icc_text = _given(icc_request)
    valid_icc = found.check("icc", _check_icc, icc_text)
    if icc_text is None and chip:
        found.add("icc", msg("icc.required", mode=msg(f"mode.{mode}")))
    valid_name = found.check("holder_name", _check_holder_name, _given(holder_name))
    found.raise_if_any()
    assert mode is not None
    assert number is not None
    assert valid_expiry is not None
    return CardData(
        reader_mode=mode,
        card_number=number,
        expiry=valid_expiry,
        cvv=valid_cvv,
        track2=track.raw if track is not None else None,
        card_sn=valid_sn,
        icc_request=valid_icc,
        holder_name=valid_name,
    )


def _card_number(
    found: FieldProblems,
    text: str | None,
    track: Track2 | None,
    mode: str | None,
    track_text: str | None,
) -> str | None:
    """The typed card number (it must match track 2), or track 2's, or a "required" problem."""
    if text is not None:
        number = found.check("card_number", normalize_card_number, text)
        if number is not None and track is not None and number != track.card_number:
            found.add("card_number", msg("card.track_mismatch"))
        return number
    if track is not None:
        return track.card_number
    if mode == "manual" or (mode is None and track_text is None):
        found.add("card_number", msg("card.required"))
    return None


def _expiry(
    found: FieldProblems,
    text: str | None,
    track: Track2 | None,
    mode: str | None,
    track_text: str | None,
    today: date,
) -> str | None:
    """The typed expiry (it must match track 2), or track 2's, or a "required" problem."""
    if text is None and track is not None:
        text = track.expiry
    if text is None:
        if track_text is None and mode in ("manual", None):
            found.add("expiry", msg("expiry.required"))
        return None
    expiry = found.check("expiry", lambda value: validate_expiry(value, today), text)
    if expiry is not None and track is not None and expiry != track.expiry:
        found.add("expiry", msg("expiry.track_mismatch"))
    return expiry
