using System.Globalization;
using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Participants;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Blinding;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Features.Signatures;

namespace TrialManager.Benchmarks.Generation;

/// <summary>Visits after randomization: dates in their windows (a few outside, a few missed), the diary, kits, forms, blinding guesses, queries and signatures.</summary>
internal sealed partial class SitePlanner
{
    private static readonly string[] MissedDoseReasons = ["Forgot the dose", "Travelling without the kit", "Felt unwell that day", "Slept through the morning dose"];

    private static readonly (EndKind Kind, double Share, string[] Reasons)[] Endings =
    [
        (EndKind.WithdrawConsent, 0.40, ["No longer wishes to take part", "Moving away and cannot attend visits", "Family reasons"]),
        (EndKind.LostToFollowUp, 0.35, ["Missed the visit; three contact attempts by phone and letter went unanswered"]),
        (EndKind.Withdraw, 0.25, ["Investigator's decision: started an excluded antidepressant", "Investigator's decision: worsening depression needing other treatment"]),
    ];

    /// <summary>How far a randomized participant got by "today": visits in order until one lies in the future or they leave.</summary>
    private Timeline PlanTimeline(DateOnly randomizedOn)
    {
        var timeline = new Timeline();
        var leavesBefore = _random.NextDouble() < _options.EndedEarlyShare ? _random.Next(0, _afterBaseline.Count) : -1;
        var previous = randomizedOn;
        for (var i = 0; i < _afterBaseline.Count; i++)
        {
            var visit = _afterBaseline[i];
            if (i == leavesBefore)
            {
                var gap = visit.Day - (i == 0 ? 0 : _afterBaseline[i - 1].Day);
                var endOn = previous.AddDays(_random.Next(2, gap + 3));
                var draw = _random.NextDouble();
                var ending = Endings.First(e => (draw -= e.Share) < 0 || e == Endings[^1]);
                if (endOn <= _lastDay)
                {
                    timeline.EndOn = endOn;
                    timeline.EndKind = ending.Kind;
                    timeline.EndReason = ending.Reasons[_random.Next(ending.Reasons.Length)];
                }

                break;
            }

            var last = i == _afterBaseline.Count - 1;
            if (!last && !visit.DispensesKit && !visit.AssessesBlinding && _random.NextDouble() < MissedVisitShare)
            {
                var recordedOn = randomizedOn.AddDays(visit.LatestDay + 1 + _random.Next(0, 3));
                if (recordedOn > _lastDay)
                {
                    break;
                }

                timeline.Visits.Add(new PlannedVisit(visit, recordedOn, Missed: true));
                continue;
            }

            var roll = _random.NextDouble();
            var offset = roll < OutOfWindowShare ? (_random.Next(2) == 0 ? -(visit.WindowBeforeDays + 1) : visit.WindowAfterDays + 1)
                : roll < 0.6 ? 0
                : _random.Next(-visit.WindowBeforeDays, visit.WindowAfterDays + 1);
            var date = Max(randomizedOn.AddDays(visit.Day + offset), previous.AddDays(1));
            if (date > _lastDay)
            {
                break;
            }

            timeline.Visits.Add(new PlannedVisit(visit, date, Missed: false));
            previous = date;
        }

        timeline.Completed = timeline.Visits.Count == _afterBaseline.Count;
        timeline.ActiveTo = timeline.EndOn?.AddDays(-1) ?? (timeline.Completed ? timeline.Visits[^1].Date : _lastDay);

        // A few stop the study drug after the kit visit but keep coming to visits.
        var kitVisit = timeline.Visits.FindIndex(v => v.Visit.DispensesKit && !v.Missed);
        if (timeline.EndOn is null && kitVisit >= 0 && _random.NextDouble() < DrugDiscontinuedShare)
        {
            var from = timeline.Visits[kitVisit].Date.AddDays(2);
            var to = kitVisit + 1 < timeline.Visits.Count ? timeline.Visits[kitVisit + 1].Date.AddDays(-1) : _lastDay;
            if (from <= to)
            {
                timeline.DrugStoppedOn = Between(from, to);
            }
        }

        return timeline;
    }

    private void PlanVisits(Person person, Timeline timeline, StepList steps)
    {
        var randomizedOn = person.RandomizedOn!.Value;
        var dosing = _protocol.Dosing;
        var unitsPerDose = (int)Math.Ceiling(dosing.Dose.Amount);
        var stoppedDay = timeline.DrugStoppedOn is { } stopped ? stopped.DayNumber - randomizedOn.DayNumber : int.MaxValue;
        var finalVisit = _afterBaseline[^1].Code;
        var diaryThrough = 0;
        var kitIndex = 0;
        var (taken, missed, stoppedInKit) = (0, false, false);
        DateOnly? lastDose = null;
        foreach (var planned in timeline.Visits)
        {
            var visit = planned.Visit;
            var session = new Session(this, planned.Date, 540 + _random.Next(0, 240));
            if (planned.Missed)
            {
                steps.Add(session.Next(), StepKind.MissedVisit, Actor.Coordinator, async context =>
                    Outcome.Check(await context.Get<RecordVisit>().ExecuteAsync(context.Participant.Id, visit.Code, null, missed: true, context.Cancellation)));
                continue;
            }

            var doneOn = FormValues.Iso(planned.Date);
            steps.Add(session.Next(), StepKind.Visit, Actor.Coordinator, async context =>
                Outcome.Check(await context.Get<RecordVisit>().ExecuteAsync(context.Participant.Id, visit.Code, doneOn, missed: false, context.Cancellation)));

            // The diary since the last visit it was read at: one answer per dosing day, until the drug was stopped.
            var day = planned.Date.DayNumber - randomizedOn.DayNumber;
            for (var d = diaryThrough + 1; d <= day; d++)
            {
                if (!dosing.IsDosingDay(d))
                {
                    continue;
                }

                if (d >= stoppedDay)
                {
                    stoppedInKit = true;
                    continue;
                }

                var took = _random.NextDouble() < DoseTakenShare;
                (taken, missed) = took ? (taken + 1, missed) : (taken, true);
                lastDose = took ? randomizedOn.AddDays(d) : lastDose;
                var studyDay = d.ToString(CultureInfo.InvariantCulture);
                steps.Add(session.Next(), StepKind.Diary, Actor.Coordinator, async context =>
                    Outcome.Check(await context.Get<RecordDiary>().ExecuteAsync(context.Participant.Id, studyDay, took, context.Cancellation)));
            }

            diaryThrough = day;
            Func<ParticipantRun, Dictionary<string, string?>>? kitReturn = null;
            if (visit.DispensesKit || visit.Code == finalVisit)
            {
                // The kit in hand comes back with its unused capsules counted; the return form says the same.
                var returned = kitIndex;
                var unused = Math.Max(0, _protocol.Kits.UnitsPerKit - (taken * unitsPerDose));
                var unusedText = unused.ToString(CultureInfo.InvariantCulture);
                var reason = stoppedInKit ? "Study drug discontinued" : missed ? MissedDoseReasons[_random.Next(MissedDoseReasons.Length)] : null;
                var (returnedOn, last) = (planned.Date, lastDose);
                steps.Add(session.Next(), StepKind.ReturnKit, Actor.Coordinator, async context =>
                    Outcome.Check(await context.Get<ReturnKit>().ExecuteAsync(context.Participant.Id, context.Participant.Kits[returned], unusedText, context.Cancellation)));
                kitReturn = run => FormValues.KitReturn(run.Kits[returned], unused, last, returnedOn, reason);
                (taken, missed, stoppedInKit, lastDose) = (0, false, false, null);
            }

            var depression = Math.Clamp(person.Profile.DepressionBaseline - (person.Profile.DepressionResponse * Math.Min(day, 42) / 42) + _random.Next(-2, 3), 0, 27);
            foreach (var form in visit.Forms)
            {
                if (form == FormValues.Adherence && kitReturn is null)
                {
                    throw new NotSupportedException($"Visit {visit.Code} asks for {form} but returns no kit.");
                }

                PlanForm(person, visit, form, session.Next(), steps, depression, day, kitReturn);
            }

            if (visit.DispensesKit)
            {
                kitIndex++;
                steps.Add(session.Next(), StepKind.Dispense, Actor.Coordinator, async context =>
                    context.Participant.Kits.Add(Outcome.Check(await context.Get<DispenseKit>().AtVisitAsync(context.Participant.Id, visit.Code, context.Cancellation)).KitCode));
            }

            if (visit.AssessesBlinding)
            {
                PlanBlindingGuesses(visit, session, steps);
            }
        }

        if (timeline.DrugStoppedOn is { } stopOn)
        {
            steps.Add(At(stopOn, 600 + _random.Next(0, 300)), StepKind.DiscontinueDrug, Actor.Investigator, async context =>
                Outcome.Check(await context.Get<EndParticipation>().ExecuteAsync(context.Participant.Id, EndKind.DiscontinueDrug, "Persistent nausea; the participant asked to stop the capsules", context.Cancellation)));
        }

        if (timeline.EndOn is { } endOn)
        {
            var (kind, reason) = (timeline.EndKind, timeline.EndReason);
            steps.Add(At(endOn, 600 + _random.Next(0, 300)), StepKind.EndParticipation, Actor.Investigator, async context =>
                Outcome.Check(await context.Get<EndParticipation>().ExecuteAsync(context.Participant.Id, kind, reason, context.Cancellation)));
        }

        // A sample of finished casebooks is signed (each signature checks the password again, which is slow on purpose).
        if (timeline.Completed && _random.NextDouble() < SignedShare)
        {
            var signOn = timeline.Visits[^1].Date.AddDays(_random.Next(1, 11));
            if (signOn <= _lastDay)
            {
                steps.Add(At(signOn, 660 + _random.Next(0, 300)), StepKind.SignVisit, Actor.Investigator, async context =>
                    Outcome.Check(await context.Get<SignVisit>().ExecuteAsync(context.Participant.Id, finalVisit, SignVisit.Meanings[0], context.Run.Password, context.Cancellation)));
            }
        }
    }

    private void PlanBlindingGuesses(Visit visit, Session session, StepList steps)
    {
        var assessment = _protocol.BlindingAssessment;
        foreach (var respondent in assessment.Respondents)
        {
            var guess = assessment.Guesses[_random.Next(assessment.Guesses.Count)];
            var bases = new[] { "drug_effect", "side_effects", "improvement", "worsening" };
            var input = new BlindingGuessInput
            {
                Guess = guess.Code,
                Confidence = (guess.Arms.Count == 0 ? _random.Next(0, 41) : _random.Next(30, 96)).ToString(CultureInfo.InvariantCulture),
                Basis = guess.Arms.Count == 0 ? [] : [bases[_random.Next(bases.Length)]],
            };
            var actor = respondent is BlindingRespondent.Investigator or BlindingRespondent.OutcomeAssessor ? Actor.Investigator : Actor.Coordinator;
            steps.Add(session.Next(), StepKind.BlindingGuess, actor, async context =>
                Outcome.Check(await context.Get<RecordBlindingGuess>().ExecuteAsync(context.Participant.Id, visit.Code, respondent, input, context.Cancellation)));
        }
    }

    /// <summary>The data manager queries one value some days later; the site answers; the data manager closes it (as far as "today" allows).</summary>
    private void PlanQuery((string Visit, string Form) key, string formCode, DateTimeOffset savedAt, StepList steps)
    {
        var number = ++_queries;
        var (field, question, answer) = formCode switch
        {
            FormValues.VitalSigns => ("systolic", "Systolic pressure is high for this participant: please confirm it against the source.", "Confirmed against the source document; a repeat reading was similar."),
            FormValues.Adherence => ("capsules_returned", "Please confirm the capsule count against the returned kit.", "Recounted at the site: the count is correct."),
            _ => (_protocol.FindForm(formCode)!.Fields[0].Code, "Please confirm this item against the completed questionnaire.", "Checked against the paper questionnaire: as recorded."),
        };
        var raisedOn = SiteCalendar.LocalDate(savedAt, _zone).AddDays(_random.Next(2, 21));
        var answeredOn = raisedOn.AddDays(_random.Next(1, 7));
        var closedOn = answeredOn.AddDays(_random.Next(1, 5));
        if (raisedOn > _lastDay)
        {
            return;
        }

        steps.Add(At(raisedOn, 600 + _random.Next(0, 300)), StepKind.RaiseQuery, Actor.DataManager, async context =>
            Outcome.Check(await context.Get<DataQueryWorkflow>().RaiseAsync(context.Participant.FormEntries[key], field, question, context.Cancellation)));
        if (answeredOn > _lastDay)
        {
            return;
        }

        steps.Add(At(answeredOn, 600 + _random.Next(0, 300)), StepKind.AnswerQuery, Actor.Coordinator, async context =>
        {
            // The site finds the open query on the form, as its page lists it.
            var entry = context.Participant.FormEntries[key];
            var id = await context.Get<TrialDbContext>().DataQueries.AsNoTracking()
                .Where(q => q.FormEntryId == entry && q.FieldCode == field && q.Status == QueryStatus.Open)
                .Select(q => q.Id).SingleAsync(context.Cancellation);
            context.Participant.Queries[number] = id;
            Outcome.Check(await context.Get<DataQueryWorkflow>().AnswerAsync(id, answer, context.Cancellation));
        });
        if (closedOn > _lastDay)
        {
            return;
        }

        steps.Add(At(closedOn, 600 + _random.Next(0, 300)), StepKind.CloseQuery, Actor.DataManager, async context =>
            Outcome.Check(await context.Get<DataQueryWorkflow>().ResolveAsync(context.Participant.Queries[number], close: true, context.Cancellation)));
    }

    private sealed record PlannedVisit(Visit Visit, DateOnly Date, bool Missed);

    /// <summary>A randomized participant's course up to "today".</summary>
    private sealed class Timeline
    {
        /// <summary>Visits after randomization that were done or recorded as missed, in order.</summary>
        public List<PlannedVisit> Visits { get; } = [];

        public bool Completed { get; set; }

        public DateOnly? EndOn { get; set; }

        public EndKind EndKind { get; set; }

        public string EndReason { get; set; } = "";

        public DateOnly? DrugStoppedOn { get; set; }

        /// <summary>The last day the participant is followed, so the last day an adverse event can start.</summary>
        public DateOnly ActiveTo { get; set; }
    }
}
