"""A reason in words, kept with a case: why triage placed a complaint, why a return waits for a person."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reason:
    """One finding in words: `template % params` in English; the catalog has the other languages.

    `template` may be a (singular, plural) pair from N_plural, chosen by `params["num"]`.
    """

    code: str
    template: str | tuple
    params: dict = field(default_factory=dict)

    def forms(self):
        return (self.template, "") if isinstance(self.template, str) else self.template

    def __str__(self):
        singular, plural = self.forms()
        chosen = plural if plural and self.params.get("num") != 1 else singular
        return chosen % self.params

    def as_dict(self):
        singular, plural = self.forms()
        stored = {"code": self.code, "template": singular, "params": dict(self.params), "text": str(self)}
        if plural:
            stored["plural"] = plural
        return stored
