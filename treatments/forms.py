from dataclasses import dataclass

from django import forms
from django.forms.boundfield import BoundField

from treatments.models import PhotoView, ReactionKind, ReactionSeverity
from treatments.rules import NEAR_EYE_RISK, Chosen, Option
from treatments.sessions import ReactionEntry
from treatments.suggestion import Proposal


@dataclass
class Row:
    """One catalogue option as the plan editor shows it."""

    option: Option
    field: BoundField
    excluded: str  # why the screening rules it out ("" when it may be used)
    suggested: str  # why the suggestion chose it ("" when it did not)


class PlanForm(forms.Form):
    """The plan editor: one input per catalogue option, pre-filled with the suggestion.

    Options the screening excludes are shown disabled with the reason (a disabled field ignores
    posted data). The rules are checked by ``treatments.services.plan_save``, not here.
    """

    retention = forms.IntegerField(label="Retention (minutes)")
    accepts_near_eye = True
    notes = forms.CharField(label="Notes for the practitioner", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, options: list[Option], proposal: Proposal, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = options
        excluded = {e.option.key: e.reason for e in proposal.exclusions}
        # Ruled out only by the near-eye bleeding risk: enabled, for a practitioner who accepts it.
        acceptable = {e.option.key for e in proposal.exclusions if e.acceptable and self.accepts_near_eye}
        chosen = {item.option.key: item for item in proposal.items}
        limits = proposal.limits
        self.fields["retention"].initial = proposal.retention
        self.fields["retention"].widget.attrs.update(min=limits.retention_min, max=limits.retention_max)
        self.fields["retention"].help_text = f"{limits.retention_min}–{limits.retention_max} minutes"
        # Left for the practitioner to tick: staying below the minimum is their decision.
        self.fields["fewer_needles"] = forms.BooleanField(
            required=False, label=f"Save with fewer needles than the usual {limits.needles_min}"
        )
        if acceptable:
            self.fields["near_eye"] = forms.BooleanField(required=False, label=f"I accept this risk: {NEAR_EYE_RISK}")
        if proposal.acknowledgements:
            self.fields["acknowledge"] = forms.BooleanField(
                required=False, label="I have discussed these risks with the patient and accept them for this plan"
            )
        self.rows: list[Row] = []
        for option in options:
            name = self.field_name(option)
            item = chosen.get(option.key)
            if option.kind == "pattern":
                field = forms.IntegerField(
                    label=option.label, required=False, min_value=0, max_value=option.needles_max,
                    initial=item.needles if item else 0,
                    help_text=f"0 = not used, or {option.needles_min}–{option.needles_max} needles",
                    widget=forms.NumberInput(attrs={"min": 0, "max": option.needles_max, "data-needles": "count"}),
                )
            else:
                field = forms.BooleanField(
                    label=option.label, required=False, initial=item is not None,
                    widget=forms.CheckboxInput(attrs={"data-needles": option.needles_max}),
                )
            field.disabled = option.key in excluded and option.key not in acceptable
            if field.disabled:
                field.initial = 0 if option.kind == "pattern" else False
            self.fields[name] = field
            self.rows.append(Row(option, self[name], excluded.get(option.key, ""), item.reason if item else ""))
        self._proposal = chosen

    @staticmethod
    def field_name(option: Option) -> str:
        return f"{option.kind}_{option.code}"

    def row_groups(self) -> list[tuple[str, list[Row]]]:
        """Rows grouped for display: face points, head and body points, line patterns, adjuncts."""
        groups: dict[str, list[Row]] = {}
        for row in self.rows:
            if row.option.kind == "point":
                title = "Face points" if row.option.on_face else "Head and body points"
            else:
                title = "Local needling along lines" if row.option.kind == "pattern" else "Adjuncts"
            groups.setdefault(title, []).append(row)
        return list(groups.items())

    def chosen(self, *, concern_for) -> list[Chosen]:
        """The items ticked, each with the concern it serves (``concern_for(option)`` gives
        ``(concern code or None, reason)`` for an item the suggestion did not include)."""
        items = []
        for option in self.options:
            value = self.cleaned_data.get(self.field_name(option))
            if not value:
                continue
            needles = value if option.kind == "pattern" else option.needles_max
            suggested = self._proposal.get(option.key)
            if suggested:
                items.append(Chosen(option, needles, suggested.concern, suggested.reason))
            else:
                concern, reason = concern_for(option)
                items.append(Chosen(option, needles, concern, reason))
        return items


class TemplateForm(forms.Form):
    name = forms.CharField(label="Template name", max_length=80)


class StartFromForm(forms.Form):
    template = forms.ModelChoiceField(queryset=None, required=False, empty_label="The suggested plan", label="Start from")

    def __init__(self, *args, templates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates


class SessionForm(PlanForm):
    """The session record: the plan editor's rows (prefilled, excluded options disabled), plus
    the patient's rating of each concern, reactions with their severity, and notes. The rules are
    checked by ``treatments.sessions.session_record_save``, not here."""

    # The near-eye risk is accepted with the plan, not at a session.
    accepts_near_eye = False

    def __init__(self, *args, concerns, limits, risks: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["fewer_needles"]  # a session's minimum is no rule: it is recorded as it happened
        # Each risk new since the plan, acknowledged one by one before the record saves.
        self.risk_fields = []
        for index, risk in enumerate(risks):
            name = f"risk_{index}"
            self.fields[name] = forms.BooleanField(
                required=True, label=f"I have discussed this with the patient: {risk}",
                error_messages={"required": "Acknowledge this risk, new since the plan was saved."},
            )
            self.risk_fields.append((risk, self[name]))
        self.fields["retention"].label = "Retention (minutes)"
        self.fields["retention"].widget.attrs.update(min=1)
        self.fields["retention"].help_text = f"At most {limits.retention_max} minutes"
        self.fields["notes"].label = "Session notes"
        self.fields["notes"].widget.attrs["rows"] = 4
        self.concern_fields = []
        for line in concerns:
            history = f"intake {line.intake}" + (f", last session {line.last}" if line.last is not None else "")
            name = f"rating_{line.code}"
            self.fields[name] = forms.IntegerField(
                label=line.name, min_value=0, max_value=10, help_text=f"0 = gone, 10 = worst ({history})",
                widget=forms.NumberInput(attrs={"min": 0, "max": 10}),
            )
            self.concern_fields.append((line.code, self[name]))
        self.reaction_fields = []
        for value, label in ReactionKind.choices:
            severity = forms.ChoiceField(
                label=label, required=False, choices=[("", "None")] + ReactionSeverity.choices,
            )
            note = forms.CharField(label=f"{label}: details", required=False, max_length=200)
            self.fields[f"reaction_{value}"] = severity
            self.fields[f"reaction_{value}_note"] = note
            self.reaction_fields.append((self[f"reaction_{value}"], self[f"reaction_{value}_note"]))

    def acknowledged(self) -> list[str]:
        return [risk for risk, field in self.risk_fields if self.cleaned_data.get(field.name)]

    def ratings(self) -> dict[str, int]:
        return {code: self.cleaned_data[field.name] for code, field in self.concern_fields}

    def reactions(self) -> list[ReactionEntry]:
        return [
            ReactionEntry(kind, self.cleaned_data[f"reaction_{kind}"], self.cleaned_data.get(f"reaction_{kind}_note", ""))
            for kind in ReactionKind.values
            if self.cleaned_data.get(f"reaction_{kind}")
        ]


class PhotoForm(forms.Form):
    view = forms.ChoiceField(choices=PhotoView.choices, label="View", widget=forms.Select(attrs={"class": "form-select"}))
    # Django's ImageField would check the image too; treatments.photos does it once, with the
    # clinic's limits, for every caller.
    image = forms.FileField(
        label="Photo (JPEG, PNG or WebP, up to 10 MB)",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )


class AddendumForm(forms.Form):
    # The limits are the model's (``SessionAddendum.insert_problems``), checked by the service.
    text = forms.CharField(
        label="Addendum (a correction or later observation)", strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )
