using System.Globalization;
using TrialManager.Domain.Participants;
using TrialManager.Domain.Safety;
using TrialManager.Web.Features.Safety;

namespace TrialManager.Benchmarks.Generation;

/// <summary>
/// Adverse events: onset inside the participant's follow-up, reported by the investigator within hours of the site
/// learning of it, followed up when they resolve, and assessed by the safety officer (every serious event and event
/// of special interest, and a sample of the others); a SUSAR is then reported on the expedited clock.
/// </summary>
internal sealed partial class SitePlanner
{
    private const double SeriousShare = 0.04;
    private const double SpecialInterestShare = 0.02;
    private const double AssessedShare = 0.1;

    private static readonly string[] UnexpectedTerms = ["Upper respiratory tract infection", "Back pain", "Diarrhoea", "Irritability", "Palpitations", "Rash", "Restlessness", "Tremor", "Dry mouth"];
    private static readonly string[] SeriousTerms = ["Worsening depression", "Syncope", "Chest pain", "Hypertensive urgency", "Appendicitis", "Wrist fracture after a fall", "Anxiety", "Dizziness"];

    private Dictionary<Person, List<AdverseEventPlan>> PlanAdverseEvents(List<Person> people)
    {
        var plans = new Dictionary<Person, List<AdverseEventPlan>>();
        var candidates = people.Where(p => p.Timeline is { } t && t.ActiveTo.DayNumber - p.RandomizedOn!.Value.DayNumber >= 2).ToList();
        if (_adverseEvents > 0 && candidates.Count == 0)
        {
            throw new InvalidOperationException($"Site {_site.Code} has no participant followed long enough to have its {_adverseEvents} adverse events.");
        }

        for (var n = 1; n <= _adverseEvents; n++)
        {
            var person = candidates[_random.Next(candidates.Count)];
            if (!plans.TryGetValue(person, out var list))
            {
                plans[person] = list = [];
            }

            list.Add(PlanAdverseEvent(person, n));
        }

        return plans;
    }

    private AdverseEventPlan PlanAdverseEvent(Person person, int number)
    {
        var randomizedOn = person.RandomizedOn!.Value;
        var timeline = person.Timeline!;
        var onset = randomizedOn.AddDays(_random.Next(1, timeline.ActiveTo.DayNumber - randomizedOn.DayNumber));
        var awareOn = Min(onset.AddDays(_random.NextDouble() < 0.7 ? 0 : _random.Next(1, 4)), timeline.ActiveTo);
        var awareMinute = 480 + _random.Next(0, 600);
        var aware = At(awareOn, awareMinute);
        var reportAt = aware.AddMinutes(_random.Next(20, 480));
        reportAt = reportAt < _now.AddMinutes(-5) ? reportAt : aware.AddMinutes(1);
        var reportDay = SiteCalendar.LocalDate(reportAt, _zone);

        var roll = _random.NextDouble();
        var serious = roll < SeriousShare;
        var special = !serious && roll < SeriousShare + SpecialInterestShare ? _protocol.Safety.SpecialInterestEvents[_random.Next(_protocol.Safety.SpecialInterestEvents.Count)] : null;
        var expected = _protocol.Safety.ExpectedEvents;
        var term = serious ? SeriousTerms[_random.Next(SeriousTerms.Length)]
            : special is not null ? special.Term
            : _random.NextDouble() < 0.8 ? expected[_random.Next(expected.Count)]
            : UnexpectedTerms[_random.Next(UnexpectedTerms.Length)];
        var grade = serious ? (_random.NextDouble() < 0.75 ? 3 : 4) : Pick((1, 0.62), (2, 0.32), (3, 0.06));
        string[] criteria = !serious ? [] : grade == 4 ? ["life_threatening", "hospitalization"] : [_random.NextDouble() < 0.75 ? "hospitalization" : "medically_important"];
        var causality = Pick((Causality.Related, 0.12), (Causality.PossiblyRelated, 0.28), (Causality.UnlikelyRelated, 0.32), (Causality.NotRelated, 0.28));
        var action = serious ? (_random.NextDouble() < 0.5 ? ActionTaken.DrugInterrupted : ActionTaken.DoseNotChanged)
            : _random.NextDouble() < 0.92 ? ActionTaken.DoseNotChanged : ActionTaken.DrugInterrupted;
        var endOn = onset.AddDays(serious ? _random.Next(3, 22) : _random.Next(1, 15));
        var resolved = endOn <= reportDay;
        var initial = new AdverseEventInput
        {
            ReportedTerm = term,
            Onset = FormValues.Iso(onset),
            End = resolved ? FormValues.Iso(endOn) : null,
            Grade = grade.ToString(CultureInfo.InvariantCulture),
            Serious = serious,
            SeriousnessCriteria = [.. criteria],
            Causality = causality.ToString(),
            ActionTaken = action.ToString(),
            Outcome = (resolved ? EventOutcome.Recovered : _random.NextDouble() < 0.7 ? EventOutcome.Recovering : EventOutcome.NotRecovered).ToString(),
            SpecialInterestCode = special?.Code,
            Narrative = serious ? $"{term}: admitted for assessment and observation; managed as usual and discharged. Study visits continued." : null,
            AwareDate = FormValues.Iso(awareOn),
            AwareTime = Clock(awareMinute),
        };

        // An event still going at the report is followed up once it resolves; serious ones are followed up whatever happened to the participant.
        DateTimeOffset? followUpAt = null;
        AdverseEventInput? followUp = null;
        var followUpOn = Max(endOn, reportDay.AddDays(1)).AddDays(_random.Next(0, 6));
        var followUpLimit = serious ? _lastDay : Min(_lastDay, timeline.ActiveTo.AddDays(14));
        if (!resolved && followUpOn <= followUpLimit)
        {
            var minute = 540 + _random.Next(0, 300);
            followUpAt = At(followUpOn, minute + 30);
            followUp = new AdverseEventInput
            {
                ReportedTerm = initial.ReportedTerm,
                Onset = initial.Onset,
                End = FormValues.Iso(endOn),
                Grade = initial.Grade,
                Serious = serious,
                SeriousnessCriteria = [.. criteria],
                Causality = initial.Causality,
                ActionTaken = initial.ActionTaken,
                Outcome = EventOutcome.Recovered.ToString(),
                SpecialInterestCode = initial.SpecialInterestCode,
                Narrative = initial.Narrative,
                AwareDate = FormValues.Iso(followUpOn),
                AwareTime = Clock(minute),
                FollowUpNote = $"Resolved on {FormValues.Iso(endOn)}.",
            };
        }

        DateTimeOffset? assessAt = null;
        AssessmentInput? assessment = null;
        var susar = false;
        DateTimeOffset? expeditedAt = null;
        ExpeditedReportInput? expedited = null;
        if (serious || special is not null || _random.NextDouble() < AssessedShare)
        {
            var at = reportAt.AddMinutes(_random.Next(60, 72 * 60));
            var sponsorCausality = _random.NextDouble() < 0.8 ? causality : Pick((Causality.Related, 0.25), (Causality.PossiblyRelated, 0.25), (Causality.UnlikelyRelated, 0.25), (Causality.NotRelated, 0.25));
            var isExpected = _protocol.Safety.IsExpected(term);
            if (at < _now.AddMinutes(-5))
            {
                assessAt = at;
                assessment = new AssessmentInput
                {
                    SponsorCausality = sponsorCausality.ToString(),
                    Expected = isExpected ? "yes" : "no",
                    Rationale = isExpected ? "Listed in the reference safety information; timing plausible." : "Not listed in the reference safety information; assessed on the narrative and timing.",
                };
                susar = serious && (causality.IsReasonablyPossible() || sponsorCausality.IsReasonablyPossible()) && !isExpected;
            }

            var reportedAt = at.AddDays(_random.Next(1, 6)).AddMinutes(_random.Next(0, 480));
            if (susar && reportedAt < _now.AddMinutes(-5))
            {
                expeditedAt = reportedAt;
                expedited = new ExpeditedReportInput
                {
                    SubmittedAt = reportedAt.AddMinutes(-_random.Next(10, 240)).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture),
                    Reference = string.Create(CultureInfo.InvariantCulture, $"EV-SUSAR-{_site.Code}-{number:0000}"),
                };
            }
        }

        return new AdverseEventPlan(number, reportAt, initial, followUpAt, followUp, assessAt, assessment, susar, expeditedAt, expedited);
    }

    private void PlanAdverseEvent(AdverseEventPlan plan, StepList steps)
    {
        var number = plan.Number;
        steps.Add(plan.ReportAt, StepKind.ReportAdverseEvent, Actor.Investigator, async context =>
            context.Participant.AdverseEvents[number] = Outcome.Check(await context.Get<ReportAdverseEvent>().InitialAsync(context.Participant.Id, plan.Initial, context.Cancellation)).Id);
        if (plan.FollowUpAt is { } followUpAt)
        {
            steps.Add(followUpAt, StepKind.FollowUpAdverseEvent, Actor.Investigator, async context =>
                Outcome.Check(await context.Get<ReportAdverseEvent>().FollowUpAsync(context.Participant.AdverseEvents[number], plan.FollowUp!, context.Cancellation)));
        }

        if (plan.AssessAt is { } assessAt)
        {
            steps.Add(assessAt, StepKind.AssessAdverseEvent, Actor.SafetyOfficer, async context =>
            {
                var result = await context.Get<AssessAdverseEvent>().ExecuteAsync(context.Participant.AdverseEvents[number], plan.Assessment!, context.Cancellation);
                Outcome.Check(result.Outcome);
                if (result.Value != plan.Susar)
                {
                    throw new GenerationStepException($"the assessment's SUSAR decision ({result.Value}) is not the planned one ({plan.Susar})");
                }
            });
        }

        if (plan.ExpeditedAt is { } expeditedAt)
        {
            steps.Add(expeditedAt, StepKind.ExpeditedReport, Actor.SafetyOfficer, async context =>
                Outcome.Check(await context.Get<RecordExpeditedReport>().ExecuteAsync(context.Participant.AdverseEvents[number], plan.Expedited!, context.Cancellation)));
        }
    }

    private T Pick<T>(params (T Value, double Share)[] choices)
    {
        var roll = _random.NextDouble();
        foreach (var (value, share) in choices)
        {
            roll -= share;
            if (roll < 0)
            {
                return value;
            }
        }

        return choices[^1].Value;
    }

    private static string Clock(int minute) => string.Create(CultureInfo.InvariantCulture, $"{minute / 60:00}:{minute % 60:00}");

    private sealed record AdverseEventPlan(
        int Number,
        DateTimeOffset ReportAt,
        AdverseEventInput Initial,
        DateTimeOffset? FollowUpAt,
        AdverseEventInput? FollowUp,
        DateTimeOffset? AssessAt,
        AssessmentInput? Assessment,
        bool Susar,
        DateTimeOffset? ExpeditedAt,
        ExpeditedReportInput? Expedited);
}
