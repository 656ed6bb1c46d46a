using System.Globalization;
using System.Net;
using TrialManager.Benchmarks.Generation;
using TrialManager.Domain.Access;
using TrialManager.Domain.Protocols;
using TrialManager.Domain.Safety;
using TrialManager.Web.Features.Participants;

namespace TrialManager.Benchmarks.Soak;

/// <summary>One visit of the schedule as the soak enters it: recorded as done (treatment visits), a kit dispensed where the protocol says, and its forms.</summary>
internal sealed record SoakVisitStep(string VisitCode, bool Record, bool Dispense, IReadOnlyList<string> Forms)
{
    /// <summary>Every visit in protocol order; the screening depression scale is entered at enrolment (it decides eligibility), so not again here.</summary>
    public static IReadOnlyList<SoakVisitStep> From(Protocol protocol) =>
        [.. protocol.Visits.OrderBy(v => v.Day).Select(v => v.Kind switch
        {
            VisitKind.Screening => new SoakVisitStep(v.Code, false, false, [.. v.Forms.Where(f => f != FormValues.Depression)]),
            VisitKind.Randomization => new SoakVisitStep(v.Code, false, false, v.Forms),
            _ => new SoakVisitStep(v.Code, true, v.DispensesKit, v.Forms),
        })];
}

/// <summary>The operations, each through the pages a person would use, checking what the page says after each step.</summary>
internal sealed partial class SoakPerson
{
    private static readonly string[] Terms = ["Headache", "Nausea", "Fatigue", "Anxiety", "Insomnia", "Decreased appetite", "Dizziness"];

    private SoakSite SiteToRead => _site ?? shared.AnySite(_random);

    /// <summary>Register, the screening depression scale, the eligibility questions, randomize: one participant from consent to kit.</summary>
    private async Task<bool> EnrolAsync()
    {
        var site = _site!;
        if (!site.TryStartEnrolment())
        {
            // The site enrolled what its list and stock were sized for: visits, events and reading go on.
            return false;
        }

        try
        {
            var high = site.NextStratumHigh();
            var profile = ParticipantProfile.Draw(_random, high ? _random.Next(15, 20) : _random.Next(10, 15));
            var today = shared.Trial.Today(site.Code);
            var register = await browser.PageAsync("/participants/new");
            List<KeyValuePair<string, string>> fields =
            [
                new("Input.YearOfBirth", (today.Year - profile.Age).ToString(CultureInfo.InvariantCulture)),
                new("Input.Sex", profile.Sex),
                new("Input.ConsentedOn", FormValues.Iso(today)),
                new("Input.ConsentFormVersion", "2.1"),
            ];
            if (profile.Initials is { } initials)
            {
                fields.Add(new("Input.Initials", initials));
            }

            var registered = await browser.SubmitAsync(register, "register-participant", fields);
            var id = IdAfter(registered, "/participants/");
            var participant = new SoakParticipant(id, site.Code, profile);
            var depression = shared.Trial.Protocol.FindForm(FormValues.Depression)!;
            await EnterFormAsync(participant, "SCR", FormValues.Depression, FormValues.RatingScale(depression, profile.DepressionBaseline, _random));

            var screening = await browser.PageAsync($"/participants/{id}/screening");
            var screened = await browser.SubmitAsync(screening, "screening", EligibleAnswers(profile));
            var decision = screened.Text("[data-testid=eligibility-result]") ?? "";
            if (!decision.Contains("eligible", StringComparison.Ordinal) || decision.Contains("not eligible", StringComparison.Ordinal))
            {
                throw new UnexpectedAnswerException("POST", screening.Path, HttpStatusCode.OK, $"an eligible participant was screened as: {decision}");
            }

            var randomized = await browser.SubmitAsync(screened, "randomize", []);
            var number = randomized.Text("[data-testid=randomization-number]");
            participant.KitCode = randomized.Text("[data-testid=kits] td.tm-code") ?? "";
            if (string.IsNullOrEmpty(number) || participant.KitCode.Length == 0)
            {
                throw new UnexpectedAnswerException("POST", screened.Path, HttpStatusCode.OK, "randomized, but the page shows no randomization number or kit");
            }

            site.AddRandomized(participant);
            return true;
        }
        catch
        {
            site.EnrolmentFailed();
            throw;
        }
    }

    /// <summary>The next visit of a participant of the person's site: recorded as done today, a kit dispensed if due, every form completed.</summary>
    private async Task<bool> VisitAsync()
    {
        // Only coordinators dispense kits; an investigator takes a participant whose next visit needs none.
        var dispenses = part.Role == TrialRoles.SiteCoordinator;
        var participant = _site!.TakeForVisit(p => dispenses || !shared.Steps[p.NextStep].Dispense);
        if (participant is null)
        {
            return false;
        }

        var step = shared.Steps[participant.NextStep];
        try
        {
            var page = await browser.PageAsync($"/participants/{participant.Id}");
            if (step.Record)
            {
                page = await browser.SubmitAsync(page, $"visit-{step.VisitCode}", [new("DoneOn", FormValues.Iso(shared.Trial.Today(participant.SiteCode))), new("action", "done")]);
                if (page.Text($"[data-testid=visit-{step.VisitCode}] .badge")?.StartsWith("Done", StringComparison.Ordinal) != true)
                {
                    throw new UnexpectedAnswerException("POST", page.Path, HttpStatusCode.OK, $"visit {step.VisitCode} was recorded but shows {page.Text($"[data-testid=visit-{step.VisitCode}] .badge")}");
                }
            }

            if (step.Dispense)
            {
                var dispensed = await browser.SubmitAsync(page, "dispense", [new("DispenseInput.VisitCode", step.VisitCode)]);
                if (dispensed.Document.QuerySelectorAll("[data-testid=kits] tbody tr").Length < 2)
                {
                    throw new UnexpectedAnswerException("POST", page.Path, HttpStatusCode.OK, $"a kit was dispensed at {step.VisitCode} but the participant's page lists fewer than two kits");
                }
            }

            foreach (var form in step.Forms)
            {
                await EnterFormAsync(participant, step.VisitCode, form, FormValuesFor(participant, step, form));
            }

            return true;
        }
        finally
        {
            // A visit that failed part-way is not tried again: its record may exist, and the error is already counted.
            participant.NextStep++;
            _site.Release(participant, participant.NextStep < shared.Steps.Count);
        }
    }

    private async Task<bool> ReportAdverseEventAsync()
    {
        if (_site!.AnyParticipant(_random) is not { } participant)
        {
            return false;
        }

        var form = await browser.PageAsync($"/participants/{participant.Id}/adverse-events/new");
        // The site learned of it today (the form's own default); it began the same day.
        var today = form.Value("Input.AwareDate") ?? throw new UnexpectedAnswerException("GET", form.Path, HttpStatusCode.OK, "the report form has no awareness date");
        var serious = _random.NextDouble() < 0.12;
        List<KeyValuePair<string, string>> fields =
        [
            new("Input.ReportedTerm", Terms[_random.Next(Terms.Length)]),
            new("Input.Onset", today),
            new("Input.Grade", serious ? "3" : _random.Next(1, 3).ToString(CultureInfo.InvariantCulture)),
            new("Input.Causality", Enum.GetValues<Causality>()[_random.Next(4)].ToString()),
            new("Input.ActionTaken", nameof(ActionTaken.DoseNotChanged)),
            new("Input.Outcome", nameof(EventOutcome.Recovering)),
            new("Input.Narrative", "Reported at the visit; the participant describes it as coming and going."),
        ];
        if (serious)
        {
            fields.Add(new("Input.Serious", "true"));
            fields.Add(new("Input.SeriousnessCriteria", "hospitalization"));
        }

        var reported = await browser.SubmitAsync(form, "report-adverse-event", fields);
        _site.AdverseEventReported(IdAfter(reported, "/adverse-events/"));
        return true;
    }

    /// <summary>A follow-up of one of the site's events: it has resolved, on the day it began.</summary>
    private async Task<bool> FollowUpAsync()
    {
        if (_site!.TakeAdverseEvent() is not { } id)
        {
            return false;
        }

        try
        {
            var form = await browser.PageAsync($"/adverse-events/{id}/follow-up");
            var onset = form.Value("Input.Onset") ?? throw new UnexpectedAnswerException("GET", form.Path, HttpStatusCode.OK, "the follow-up form shows no onset date");
            var filed = await browser.SubmitAsync(form, "report-adverse-event",
            [
                new("Input.Outcome", nameof(EventOutcome.Recovered)),
                new("Input.End", onset),
                new("Input.FollowUpNote", "Resolved without treatment; confirmed by telephone."),
            ]);
            if (IdAfter(filed, "/adverse-events/") != id)
            {
                throw new UnexpectedAnswerException("POST", form.Path, HttpStatusCode.OK, $"the follow-up led to {filed.Path}");
            }

            return true;
        }
        finally
        {
            _site.ReleaseAdverseEvent(id);
        }
    }

    private async Task<bool> VisitCrfPdfAsync()
    {
        if (SiteToRead.AnyParticipant(_random) is not { } participant)
        {
            return false;
        }

        var entered = participant.FormsEntered.ToArray();
        await browser.DownloadAsync($"/participants/{participant.Id}/visits/{entered[_random.Next(entered.Length)].Visit}/crf.pdf");
        return true;
    }

    private async Task<bool> CasebookPdfAsync()
    {
        if (SiteToRead.AnyParticipant(_random) is not { } participant)
        {
            return false;
        }

        await browser.DownloadAsync($"/participants/{participant.Id}/casebook.pdf");
        return true;
    }

    private async Task<bool> SaeReportPdfAsync()
    {
        if (SiteToRead.AnyAdverseEvent(_random) is not { } id)
        {
            return false;
        }

        await browser.DownloadAsync($"/adverse-events/{id}/report.pdf");
        return true;
    }

    private async Task<bool> BlankCrfPdfAsync()
    {
        await browser.DownloadAsync($"/trials/{SoakTrial.Code}/blank-crf.pdf");
        return true;
    }

    private async Task<bool> DsmbPdfAsync()
    {
        await browser.DownloadAsync($"/trials/{SoakTrial.Code}/dsmb/{(_random.Next(2) == 0 ? "open" : "closed")}.pdf");
        return true;
    }

    private async Task<bool> ReadAsync(string path)
    {
        await browser.PageAsync(path);
        return true;
    }

    private async Task<bool> TimelineAsync()
    {
        if (SiteToRead.AnyParticipant(_random) is not { } participant)
        {
            return false;
        }

        var page = await browser.PageAsync($"/participants/{participant.Id}");
        if (string.IsNullOrEmpty(page.Text("[data-testid=randomization-number]")))
        {
            throw new UnexpectedAnswerException("GET", page.Path, HttpStatusCode.OK, "a randomized participant's page shows no randomization number");
        }

        return true;
    }

    private async Task<bool> AdverseEventPageAsync()
    {
        if (SiteToRead.AnyAdverseEvent(_random) is not { } id)
        {
            return false;
        }

        await browser.PageAsync($"/adverse-events/{id}");
        return true;
    }

    private async Task<bool> FormPageAsync()
    {
        if (SiteToRead.AnyParticipant(_random) is not { } participant)
        {
            return false;
        }

        var entered = participant.FormsEntered.ToArray();
        var (visit, form) = entered[_random.Next(entered.Length)];
        var page = await browser.PageAsync($"/participants/{participant.Id}/visits/{visit}/forms/{form}");
        if (page.Text("[data-testid=form-status]") != "Complete")
        {
            throw new UnexpectedAnswerException("GET", page.Path, HttpStatusCode.OK, $"an entered form shows {page.Text("[data-testid=form-status]")}");
        }

        return true;
    }

    /// <summary>Opens a form, fills every field and marks it complete; the page it returns to must say so.</summary>
    private async Task EnterFormAsync(SoakParticipant participant, string visitCode, string formCode, Dictionary<string, string?> values)
    {
        var page = await browser.PageAsync($"/participants/{participant.Id}/visits/{visitCode}/forms/{formCode}");
        var fields = values.Where(v => v.Value is not null)
            .Select(v => new KeyValuePair<string, string>(SaveForm.FieldPrefix + v.Key, v.Value!))
            .Append(new("action", "complete"));
        var saved = await browser.SubmitAsync(page, "crf", fields);
        if (saved.Text("[data-testid=form-status]") != "Complete")
        {
            throw new UnexpectedAnswerException("POST", page.Path, HttpStatusCode.OK, $"{formCode} at {visitCode} was saved but shows {saved.Text("[data-testid=form-status]")}");
        }

        participant.FormsEntered.Enqueue((visitCode, formCode));
    }

    /// <summary>Values that tell one story per participant: scores easing over the weeks, vital signs near their own, the kit they were given.</summary>
    private Dictionary<string, string?> FormValuesFor(SoakParticipant participant, SoakVisitStep step, string formCode)
    {
        var profile = participant.Profile;
        var progress = Math.Max(0, participant.NextStep - 1) / (double)Math.Max(1, shared.Steps.Count - 2);
        var form = shared.Trial.Protocol.FindForm(formCode)!;
        return formCode switch
        {
            FormValues.Depression => FormValues.RatingScale(form, profile.DepressionBaseline - (int)(profile.DepressionResponse * progress), _random),
            FormValues.Anxiety => FormValues.RatingScale(form, profile.AnxietyBaseline - (int)(profile.AnxietyResponse * progress), _random),
            FormValues.VitalSigns => FormValues.Vitals(profile, _random, notable: _random.NextDouble() < 0.05),
            FormValues.Adherence => FormValues.KitReturn(participant.KitCode, _random.Next(0, 3), lastDose: null, shared.Trial.Today(participant.SiteCode), missedReason: null),
            _ => throw new InvalidOperationException($"The soak has no values for form {formCode} (at {step.VisitCode}); the protocol changed."),
        };
    }

    /// <summary>Answers that make the participant eligible, read from the protocol's own questions (scores come from the forms).</summary>
    private List<KeyValuePair<string, string>> EligibleAnswers(ParticipantProfile profile) =>
        [.. shared.Trial.Protocol.Eligibility.Criteria
            .Where(c => c.Question is not NumberQuestion { FromScore: not null })
            .Select(c => new KeyValuePair<string, string>(ScreenParticipant.AnswerPrefix + c.Code, c.Question switch
            {
                YesNoQuestion yesNo => YesNo.Format(yesNo.EligibleAnswer),
                NumberQuestion number => Math.Clamp(profile.Age, number.Minimum ?? profile.Age, number.Maximum ?? profile.Age).ToString(CultureInfo.InvariantCulture),
                ChoiceQuestion choice => profile.Sex == "male" && choice.EligibleAnswers.FirstOrDefault(a => a.Contains("not_applicable", StringComparison.Ordinal)) is { } notApplicable
                    ? notApplicable
                    : choice.EligibleAnswers[0],
                _ => throw new InvalidOperationException($"No eligible answer for {c.Code}."),
            }))];

    /// <summary>The id at the end of the address a post led to (e.g. /participants/{id}).</summary>
    private static Guid IdAfter(SoakPage page, string prefix) =>
        page.Path.StartsWith(prefix, StringComparison.Ordinal) && Guid.TryParse(page.Path[prefix.Length..].Split('?', '/')[0], out var id)
            ? id
            : throw new UnexpectedAnswerException("GET", page.Path, HttpStatusCode.OK, $"expected to land on {prefix}{{id}}");
}
