using TrialManager.Domain.Protocols;

namespace TrialManager.Benchmarks.Generation;

/// <summary>What a step does, for counting and for error messages.</summary>
internal enum StepKind
{
    Register,
    Form,
    Screen,
    Randomize,
    Visit,
    MissedVisit,
    Diary,
    ReturnKit,
    Dispense,
    BlindingGuess,
    DiscontinueDrug,
    EndParticipation,
    ReportAdverseEvent,
    FollowUpAdverseEvent,
    AssessAdverseEvent,
    ExpeditedReport,
    RaiseQuery,
    AnswerQuery,
    CloseQuery,
    SignVisit,
}

/// <summary>Who does a step: the participant's site staff, or a trial-wide role.</summary>
internal enum Actor
{
    Coordinator,
    Investigator,
    DataManager,
    SafetyOfficer,
}

/// <summary>One call of one real operation, at a moment of the participant's timeline.</summary>
/// <param name="Order">Keeps steps planned for the same minute in the order they were planned.</param>
internal sealed record Step(DateTimeOffset At, int Order, StepKind Kind, Actor Actor, Func<StepContext, Task> Run);

internal enum PersonKind
{
    Randomized,
    Pool,
    ScreenFailure,
}

/// <summary>One person at a site, and every step of theirs in time order.</summary>
internal sealed class ParticipantPlan(PersonKind kind, DateOnly consentedOn)
{
    public PersonKind Kind => kind;

    public DateOnly ConsentedOn => consentedOn;

    /// <summary>Site code and place in the site's order, for messages (the participant number exists only once registered).</summary>
    public string Label { get; set; } = "";

    public List<Step> Steps { get; } = [];
}

/// <summary>One site: who it enrols and in what order (consent date), planned from the site's own seeded random stream.</summary>
internal sealed class SitePlan(int number, ProtocolSite site, TimeZoneInfo zone, List<ParticipantPlan> people)
{
    public int Number => number;

    public ProtocolSite Site => site;

    public TimeZoneInfo Zone => zone;

    public IReadOnlyList<ParticipantPlan> People => people;

    public int Count(PersonKind kind) => people.Count(p => p.Kind == kind);

    public long StepCount => people.Sum(p => (long)p.Steps.Count);
}

/// <summary>The whole run, planned before anything is written, so totals (and the list and stock it needs) are known up front.</summary>
internal sealed class TrialPlan(ScaleOptions options, Protocol protocol, string protocolText, DateTimeOffset now, DateTimeOffset startsAt, IReadOnlyList<SitePlan> sites)
{
    public ScaleOptions Options => options;

    /// <summary>The protocol as imported (sites, slots and stock resized).</summary>
    public Protocol Protocol => protocol;

    public string ProtocolText => protocolText;

    /// <summary>The data's "today": every step happens before it.</summary>
    public DateTimeOffset Now => now;

    /// <summary>When the protocol is imported and the list generated, a month before the first site opens.</summary>
    public DateTimeOffset StartsAt => startsAt;

    public IReadOnlyList<SitePlan> Sites => sites;

    public long TotalSteps => sites.Sum(s => s.StepCount);

    public int TotalPeople => sites.Sum(s => s.People.Count);
}
