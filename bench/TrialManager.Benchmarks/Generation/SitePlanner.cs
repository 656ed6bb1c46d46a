using System.Globalization;
using TrialManager.Domain.Participants;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Randomization;

namespace TrialManager.Benchmarks.Generation;

/// <summary>
/// One site's people and every step of theirs. Randomized participants are spread over the site's recruitment period,
/// so how far each got (all visits, mid-way, or gone early) follows from their dates: nobody does anything after
/// "today". Eligible participants alternate between the two baseline severity levels, so the strata fill evenly.
/// </summary>
internal sealed partial class SitePlanner
{
    private const double MissedVisitShare = 0.03;
    private const double OutOfWindowShare = 0.02;
    private const double DoseTakenShare = 0.92;
    private const double DrugDiscontinuedShare = 0.04;
    private const double QueryShare = 0.005;
    private const double NotableVitalsShare = 0.01;
    private const double SignedShare = 0.03;

    /// <summary>
    /// A site's recruitment speeds up as its referral routes grow: randomization dates have a density rising as the
    /// cube of time since the site opened. With sites opening over most of the period, about half the participants
    /// are mid-way through their visits "today", which is what keeps the forms near 15 per randomized participant.
    /// </summary>
    private const double RampPower = 4;

    private readonly ScaleOptions _options;
    private readonly Protocol _protocol;
    private readonly ProtocolSite _site;
    private readonly int _number;
    private readonly TimeZoneInfo _zone;
    private readonly Random _random;
    private readonly DateTimeOffset _now;
    private readonly DateOnly _opens;
    private readonly DateOnly _lastDay;
    private readonly int _randomized;
    private readonly int _pool;
    private readonly int _failures;
    private readonly int _adverseEvents;
    private readonly IReadOnlyList<Visit> _afterBaseline;
    private readonly IReadOnlyList<(int Minimum, int Maximum)> _levelScores;
    private readonly string _depressionForm;
    private int _queries;

    public SitePlanner(ScaleOptions options, Protocol protocol, ProtocolSite site, int number, DateTimeOffset startsAt, DateTimeOffset now, int randomized, int pool, int failures, int adverseEvents)
    {
        _options = options;
        _protocol = protocol;
        _site = site;
        _number = number;
        _zone = TimeZoneInfo.FindSystemTimeZoneById(site.TimeZone);
        _random = new Random(unchecked((options.Seed * 7919) + number));
        _now = now;
        _randomized = randomized;
        _pool = pool;
        _failures = failures;
        _adverseEvents = adverseEvents;

        // Nothing happens on the last (partial) day: every step is safely before "now" in every time zone.
        _lastDay = SiteCalendar.LocalDate(now, _zone).AddDays(-1);
        var setUp = SiteCalendar.LocalDate(startsAt, _zone);
        var span = _lastDay.DayNumber - setUp.DayNumber - 30 - 28;
        if (span < 30)
        {
            throw new ArgumentException("The enrolment period is too short for a visit schedule; use at least 3 months.", nameof(options));
        }

        // Sites open one after another over most of the recruitment period.
        _opens = setUp.AddDays(30 + (int)((number - 1) / (double)options.Sites * span * 0.9) + _random.Next(0, 11));
        _afterBaseline = [.. protocol.Visits.Where(v => v.Kind is VisitKind.Treatment or VisitKind.FollowUp).OrderBy(v => v.Day)];
        var factor = protocol.Randomization.Factors.Count == 1 ? protocol.Randomization.Factors[0] : throw new NotSupportedException("The generator stratifies on one factor.");
        if (factor.Source is not DerivedScoreSource source)
        {
            throw new NotSupportedException("The generator stratifies on a baseline score.");
        }

        var score = protocol.FindForm(source.FormCode)?.FindScore(source.ScoreCode) ?? throw new NotSupportedException($"No score {source.ScoreCode} on {source.FormCode}.");
        _depressionForm = source.FormCode;
        _levelScores = [.. factor.Levels.Select(level =>
        {
            var bands = score.Bands.Where(b => level.Values.Contains(b.Code, StringComparer.Ordinal)).ToList();
            return (bands.Min(b => b.Minimum), bands.Max(b => b.Maximum));
        })];
    }

    public SitePlan Build()
    {
        var people = new List<Person>();
        var firstRandomization = _opens.AddDays(28);
        for (var i = 0; i < _randomized; i++)
        {
            var randomizedOn = Ramped(firstRandomization, _lastDay);
            var consent = randomizedOn.AddDays(-_random.Next(8, 28));
            var screening = Min(consent.AddDays(_random.Next(0, 4)), randomizedOn.AddDays(-1));
            people.Add(new Person(PersonKind.Randomized, consent, screening, randomizedOn));
        }

        // The pool consented in the last three weeks and is screened: ready for randomization "today".
        for (var i = 0; i < _pool; i++)
        {
            var consent = Max(_lastDay.AddDays(-_random.Next(0, 21)), _opens);
            people.Add(new Person(PersonKind.Pool, consent, Min(consent.AddDays(_random.Next(0, 2)), _lastDay), null));
        }

        for (var i = 0; i < _failures; i++)
        {
            var consent = Between(_opens, _lastDay);
            people.Add(new Person(PersonKind.ScreenFailure, consent, Min(consent.AddDays(_random.Next(0, 3)), _lastDay), null));
        }

        // Participant numbers are given in the order people are registered, which is the order they consented.
        var ordered = people.OrderBy(p => p.Consent).ThenBy(p => p.Screening).ThenBy(p => p.Kind).ToList();
        var eligible = 0;
        foreach (var person in ordered)
        {
            person.Level = person.Kind == PersonKind.ScreenFailure ? -1 : eligible++ % _levelScores.Count;
            var (low, high) = person.Level >= 0 ? _levelScores[person.Level] : _levelScores[_random.Next(_levelScores.Count)];
            person.Profile = ParticipantProfile.Draw(_random, _random.Next(low, high + 1));
            if (person.Kind == PersonKind.Randomized)
            {
                person.Timeline = PlanTimeline(person.RandomizedOn!.Value);
            }
        }

        var events = PlanAdverseEvents(ordered);
        var plans = ordered.Select((person, index) => PlanSteps(person, index + 1, events.GetValueOrDefault(person) ?? [])).ToList();
        return new SitePlan(_number, _site, _zone, plans);
    }

    private ParticipantPlan PlanSteps(Person person, int index, List<AdverseEventPlan> events)
    {
        var plan = new ParticipantPlan(person.Kind, person.Consent);
        var steps = new StepList(plan.Steps);
        var label = string.Create(CultureInfo.InvariantCulture, $"{_site.Code} person {index} ({person.Kind})");
        PlanRegistration(person, steps);
        PlanScreening(person, steps);
        if (person.Timeline is { } timeline)
        {
            PlanBaselineAndRandomization(person, steps);
            PlanVisits(person, timeline, steps);
            foreach (var adverseEvent in events)
            {
                PlanAdverseEvent(adverseEvent, steps);
            }
        }

        plan.Steps.Sort((a, b) => a.At != b.At ? a.At.CompareTo(b.At) : a.Order.CompareTo(b.Order));
        plan.Label = label;
        return plan;
    }

    private void PlanRegistration(Person person, StepList steps)
    {
        var profile = person.Profile;
        var input = new RegisterParticipantInput
        {
            YearOfBirth = (person.Screening.Year - profile.Age).ToString(CultureInfo.InvariantCulture),
            Sex = profile.Sex,
            Initials = profile.Initials,
            ConsentedOn = FormValues.Iso(person.Consent),
            ConsentFormVersion = "Participant information and consent form v1.0",
        };
        steps.Add(At(person.Consent, 540 + _random.Next(0, 45)), StepKind.Register, Actor.Coordinator, async context =>
        {
            input.TrialId = context.Run.TrialId.ToString();
            input.SiteId = context.Participant.SiteId.ToString();
            var participant = Outcome.Check(await context.Get<RegisterParticipant>().ExecuteAsync(input, context.Cancellation));
            context.Participant.Id = participant.Id;
            context.Participant.Number = participant.Number;
        });
    }

    /// <summary>The screening visit's forms, then the eligibility answers (a screen failure fails one rule, or the score).</summary>
    private void PlanScreening(Person person, StepList steps)
    {
        var session = new Session(this, person.Screening, 600 + _random.Next(0, 60));
        var visit = _protocol.ScreeningVisit;
        var failOnScore = person.Kind == PersonKind.ScreenFailure && _random.NextDouble() < 0.4;
        var depression = person.Profile.DepressionBaseline;
        if (failOnScore)
        {
            var lowest = _levelScores.Min(l => l.Minimum);
            var highest = _levelScores.Max(l => l.Maximum);
            depression = _random.Next(2) == 0 ? Math.Max(0, lowest - _random.Next(1, 5)) : highest + _random.Next(1, 5);
        }

        foreach (var form in visit.Forms)
        {
            PlanForm(person, visit, form, session.Next(), steps, depression, studyDay: visit.Day);
        }

        var answers = EligibilityAnswers(person, failOnScore);
        var expectEligible = person.Kind != PersonKind.ScreenFailure;
        steps.Add(session.Next(), StepKind.Screen, Actor.Investigator, async context =>
        {
            var outcome = Outcome.Check(await context.Get<ScreenParticipant>().ExecuteAsync(context.Participant.Id, answers, context.Cancellation));
            if (outcome.Eligible != expectEligible || (expectEligible && !outcome.Stratification.IsComplete))
            {
                throw new GenerationStepException($"screening decided eligible={outcome.Eligible} (strata complete: {outcome.Stratification.IsComplete}), planned eligible={expectEligible}: {string.Join("; ", outcome.Failures.Select(f => f.Criterion.Code + " " + f.Reason))}");
            }
        });
    }

    private Dictionary<string, string?> EligibilityAnswers(Person person, bool failOnScore)
    {
        var answers = new Dictionary<string, string?>(StringComparer.Ordinal);
        var typed = _protocol.Eligibility.Criteria.Where(c => c.Question is not NumberQuestion { FromScore: not null }).ToList();
        // A screen failure fails one yes/no rule (an excluded medication, a history of psychosis, ...).
        var failable = typed.Where(c => c.Question is YesNoQuestion).ToList();
        var failing = person.Kind == PersonKind.ScreenFailure && !failOnScore ? failable[_random.Next(failable.Count)].Code : null;
        foreach (var criterion in typed)
        {
            var fail = criterion.Code == failing;
            answers[criterion.Code] = criterion.Question switch
            {
                YesNoQuestion yesNo => YesNo.Format(yesNo.EligibleAnswer != fail),
                NumberQuestion number when number.Unit == "years" => Math.Clamp(person.Profile.Age, number.Minimum ?? 0, number.Maximum ?? 120).ToString(CultureInfo.InvariantCulture),
                NumberQuestion number => (number.Minimum ?? number.Maximum ?? 0).ToString(CultureInfo.InvariantCulture),
                ChoiceQuestion choice => ChoiceAnswer(choice, person.Profile),
                _ => throw new NotSupportedException($"Criterion {criterion.Code} has an answer type the generator does not know."),
            };
        }

        return answers;
    }

    private string ChoiceAnswer(ChoiceQuestion choice, ParticipantProfile profile)
    {
        // Pregnancy questions: men answer "cannot become pregnant"; women either way.
        var notApplicable = choice.EligibleAnswers.FirstOrDefault(c => c.Contains("not_applicable", StringComparison.Ordinal));
        return profile.Sex == "male" && notApplicable is not null ? notApplicable : choice.EligibleAnswers[_random.Next(choice.EligibleAnswers.Count)];
    }

    /// <summary>Baseline forms on the randomization day, before randomizing (the baseline score settles the stratum).</summary>
    private void PlanBaselineAndRandomization(Person person, StepList steps)
    {
        var visit = _protocol.RandomizationVisit;
        var session = new Session(this, person.RandomizedOn!.Value, 540 + _random.Next(0, 60));
        // The baseline score stays in the screening score's band, so the stratum does not move.
        var (low, high) = _levelScores[person.Level];
        var baseline = Math.Clamp(person.Profile.DepressionBaseline + _random.Next(-1, 2), low, high);
        foreach (var form in visit.Forms)
        {
            PlanForm(person, visit, form, session.Next(), steps, baseline, visit.Day);
        }

        steps.Add(session.Next(), StepKind.Randomize, Actor.Coordinator, async context =>
        {
            var assignment = Outcome.Check(await context.Get<RandomizeParticipant>().ExecuteAsync(context.Participant.Id, context.Cancellation));
            if (assignment.AlreadyRandomized)
            {
                throw new GenerationStepException("was already randomized");
            }

            context.Participant.Kits.Add(assignment.KitCode);
        });
    }

    private void PlanForm(Person person, Visit visit, string formCode, DateTimeOffset at, StepList steps, int depression, int studyDay, Func<ParticipantRun, Dictionary<string, string?>>? kitReturn = null)
    {
        var form = _protocol.FindForm(formCode)!;
        var notable = false;
        Dictionary<string, string?>? values = null;
        switch (formCode)
        {
            case FormValues.VitalSigns:
                notable = _random.NextDouble() < NotableVitalsShare;
                values = FormValues.Vitals(person.Profile, _random, notable);
                break;
            case FormValues.Anxiety:
                var anxiety = person.Profile.AnxietyBaseline - (person.Profile.AnxietyResponse * Math.Clamp(studyDay, 0, 42) / 42) + _random.Next(-2, 3);
                values = FormValues.RatingScale(form, anxiety, _random);
                break;
            case FormValues.Adherence:
                break;
            default:
                values = FormValues.RatingScale(form, formCode == _depressionForm ? depression : person.Profile.DepressionBaseline, _random);
                break;
        }

        var key = (visit.Code, formCode);
        steps.Add(at, StepKind.Form, Actor.Coordinator, async context =>
        {
            var request = new SaveForm.Request(context.Participant.Id, key.Item1, key.Item2, values ?? kitReturn!(context.Participant), Complete: true, Reason: null);
            var entry = Outcome.Check(await context.Get<SaveForm>().ExecuteAsync(request, context.Cancellation));
            context.Participant.FormEntries[key] = entry.Id;
        });

        if (notable || _random.NextDouble() < QueryShare)
        {
            PlanQuery(key, formCode, at, steps);
        }
    }

    private static DateOnly Min(DateOnly a, DateOnly b) => a < b ? a : b;

    private static DateOnly Max(DateOnly a, DateOnly b) => a > b ? a : b;

    private DateOnly Between(DateOnly first, DateOnly last) => first.AddDays(_random.Next(0, last.DayNumber - first.DayNumber + 1));

    /// <summary>A date whose density rises toward <paramref name="last"/> (see <see cref="RampPower"/>).</summary>
    private DateOnly Ramped(DateOnly first, DateOnly last) =>
        first.AddDays((int)Math.Floor((last.DayNumber - first.DayNumber + 1) * Math.Pow(_random.NextDouble(), 1.0 / RampPower)));

    /// <summary>A moment in the site's own calendar (minutes after local midnight), as the instant the app's clock shows.</summary>
    private DateTimeOffset At(DateOnly date, int minute)
    {
        var local = date.ToDateTime(TimeOnly.MinValue).AddMinutes(minute);
        return SiteCalendar.Instant(local, _zone) ?? SiteCalendar.Instant(local.AddHours(1), _zone)!.Value;
    }

    /// <summary>A person at the site as planned, before their steps exist.</summary>
    private sealed class Person(PersonKind kind, DateOnly consent, DateOnly screening, DateOnly? randomizedOn)
    {
        public PersonKind Kind => kind;

        public DateOnly Consent => consent;

        public DateOnly Screening => screening;

        public DateOnly? RandomizedOn => randomizedOn;

        /// <summary>The stratum level's index; -1 for a screen failure.</summary>
        public int Level { get; set; }

        public ParticipantProfile Profile { get; set; } = null!;

        public Timeline? Timeline { get; set; }
    }

    /// <summary>Several steps at one sitting: a few minutes apart, in the order planned.</summary>
    private sealed class Session(SitePlanner planner, DateOnly date, int startMinute)
    {
        private int _minute = startMinute;

        public DateOnly Date => date;

        public DateTimeOffset Next()
        {
            _minute += 3;
            return planner.At(date, _minute);
        }
    }

    private sealed class StepList(List<Step> steps)
    {
        public void Add(DateTimeOffset at, StepKind kind, Actor actor, Func<StepContext, Task> run) => steps.Add(new Step(at, steps.Count, kind, actor, run));
    }
}
