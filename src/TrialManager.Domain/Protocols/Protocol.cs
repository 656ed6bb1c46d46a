using System.Text.Json.Serialization;

namespace TrialManager.Domain.Protocols;

/// <summary>
/// A trial protocol as loaded from its YAML file: everything the system needs to run the trial, with nothing
/// hard-coded per trial. Immutable; build one with <see cref="ProtocolLoader"/>.
/// </summary>
public sealed record Protocol
{
    public required string Code { get; init; }
    public required string Title { get; init; }
    public required string Phase { get; init; }
    public required string RegistryId { get; init; }

    /// <summary>The version the sponsor gives this text; importing changed content is an amendment.</summary>
    public required string Version { get; init; }

    public required string Sponsor { get; init; }
    public required IReadOnlyList<Arm> Arms { get; init; }
    public required RandomizationScheme Randomization { get; init; }
    public required KitDefinition Kits { get; init; }
    public required IReadOnlyList<Site> Sites { get; init; }
    public required DosingRegimen Dosing { get; init; }
    public required IReadOnlyList<Visit> Visits { get; init; }
    public required EligibilityCriteria Eligibility { get; init; }
    public required IReadOnlyList<FormDefinition> Forms { get; init; }
    public required SafetyRules Safety { get; init; }
    public required BlindingAssessment BlindingAssessment { get; init; }

    /// <summary>
    /// SHA-256 (lower-case hex) of the protocol's content in canonical form. Computed from the model, not the
    /// text, so comments, key order, quoting and layout do not change it, while any change of content does.
    /// Not cached, so a copy made with <c>with</c> never carries a stale hash.
    /// </summary>
    [JsonIgnore]
    public string ContentHash => ProtocolContentHash.Compute(this);

    public int RatioSum => Arms.Sum(a => a.Ratio);

    public Arm? FindArm(string code) => Arms.FirstOrDefault(a => a.Code == code);

    public Site? FindSite(string code) => Sites.FirstOrDefault(s => s.Code == code);

    public Visit? FindVisit(string code) => Visits.FirstOrDefault(v => v.Code == code);

    public FormDefinition? FindForm(string code) => Forms.FirstOrDefault(f => f.Code == code);

    public Visit ScreeningVisit => Visits.First(v => v.Kind == VisitKind.Screening);

    public Visit RandomizationVisit => Visits.First(v => v.Kind == VisitKind.Randomization);

    /// <summary>The forms due at a visit, in the order the protocol lists them.</summary>
    public IReadOnlyList<FormDefinition> FormsDueAt(Visit visit) =>
        visit.Forms.Select(code => FindForm(code) ?? throw new InvalidOperationException($"Form {code} is not in protocol {Code}.")).ToList();
}

/// <summary>A treatment group. The label says what the arm really is, so only the unblinding vault shows it.</summary>
public sealed record Arm(string Code, string BlindedLabel, int Ratio);

public sealed record Site(string Code, string Name, string Country, string TimeZone);

/// <summary>What one blinded kit holds and how site stock is kept up.</summary>
public sealed record KitDefinition(
    int UnitsPerKit,
    string Unit,
    int DosesPerKit,
    int ShelfLifeDays,
    int InitialStockPerSite,
    int ResupplyMinimum,
    int ResupplyMaximum);

/// <summary>A coded option: the code is what is stored, the label what people read.</summary>
public sealed record Choice(string Code, string Label);
