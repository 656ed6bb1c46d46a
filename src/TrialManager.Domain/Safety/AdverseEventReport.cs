namespace TrialManager.Domain.Safety;

/// <summary>The investigator's judgement of whether the study drug caused the event (the sponsor records its own beside it).</summary>
public enum Causality
{
    Related,
    PossiblyRelated,
    UnlikelyRelated,
    NotRelated,
}

/// <summary>What was done with the study drug because of the event.</summary>
public enum ActionTaken
{
    DoseNotChanged,
    DoseReduced,
    DrugInterrupted,
    DrugWithdrawn,
    NotApplicable,
    Unknown,
}

public enum EventOutcome
{
    Recovered,
    Recovering,
    NotRecovered,
    RecoveredWithSequelae,
    Fatal,
    Unknown,
}

/// <summary>One version of an adverse event report, as the site states it. Follow-ups are new versions; none is ever edited.</summary>
/// <param name="SiteAwareAt">When the site learned of this information: the 24-hour clock to the sponsor starts here.</param>
public sealed record AdverseEventReport(
    string ReportedTerm,
    string? CodedTerm,
    string? Code,
    DateOnly Onset,
    DateOnly? End,
    int Grade,
    bool Serious,
    IReadOnlyList<string> SeriousnessCriteria,
    Causality Causality,
    ActionTaken ActionTaken,
    EventOutcome Outcome,
    string? SpecialInterestCode,
    DateTimeOffset SiteAwareAt)
{
    public const string Death = "death";
    public const string LifeThreatening = "life_threatening";

    public bool IsFatalOrLifeThreatening => SeriousnessCriteria.Contains(Death) || SeriousnessCriteria.Contains(LifeThreatening);

    /// <summary>A reasonable possibility that the drug caused it: what "related" means for expedited reporting (ICH E2A).</summary>
    public bool IsRelated => Causality.IsReasonablyPossible();

    public bool IsSpecialInterest => !string.IsNullOrEmpty(SpecialInterestCode);

    /// <summary>Serious events and events of special interest go to the sponsor within the site's clock.</summary>
    public bool NeedsPromptReport => Serious || IsSpecialInterest;
}

public static class CausalityExtensions
{
    public static bool IsReasonablyPossible(this Causality causality) => causality is Causality.Related or Causality.PossiblyRelated;

    public static string Describe(this Causality causality) => causality switch
    {
        Causality.Related => "Related",
        Causality.PossiblyRelated => "Possibly related",
        Causality.UnlikelyRelated => "Unlikely related",
        _ => "Not related",
    };

    public static string Describe(this ActionTaken action) => action switch
    {
        ActionTaken.DoseNotChanged => "Dose not changed",
        ActionTaken.DoseReduced => "Dose reduced",
        ActionTaken.DrugInterrupted => "Drug interrupted",
        ActionTaken.DrugWithdrawn => "Drug withdrawn",
        ActionTaken.NotApplicable => "Not applicable",
        _ => "Unknown",
    };

    public static string Describe(this EventOutcome outcome) => outcome switch
    {
        EventOutcome.Recovered => "Recovered / resolved",
        EventOutcome.Recovering => "Recovering / resolving",
        EventOutcome.NotRecovered => "Not recovered / not resolved",
        EventOutcome.RecoveredWithSequelae => "Recovered with sequelae",
        EventOutcome.Fatal => "Fatal",
        _ => "Unknown",
    };
}
