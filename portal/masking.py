"""Contact details shown to someone who may not read them whole: an agent before revealing, a guest who looked
an order up. One rule, so every page hides the same part."""


def mask_email(email):
    """The first letter and the domain: "a•••@example.com"."""
    local, _, domain = (email or "").partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


def mask_phone(phone):
    """The last two digits only: "••• ••• 34"; a number too short to hide any of it is hidden whole."""
    digits = [c for c in phone or "" if c.isdigit()]
    if len(digits) < 4:
        return "•••" if digits else ""
    return "••• ••• " + "".join(digits[-2:])
