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

    /// <summary>Where kits are stored before they are shipped to sites; empty means no resupply (sites keep their initial stock).</summary>
    public IReadOnlyList<Depot> Depots { get; init; } = [];
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

    public Depot? FindDepot(string code) => Depots.FirstOrDefault(d => d.Code == code);

    /// <summary>The resupply minimum and maximum (kits per unit of ratio) at a site: its own, or the trial's.</summary>
    public (int Minimum, int Maximum) ResupplyLevels(string siteCode) =>
        FindSite(siteCode) is { } site
            ? (site.ResupplyMinimum ?? Kits.ResupplyMinimum, site.ResupplyMaximum ?? Kits.ResupplyMaximum)
            : (Kits.ResupplyMinimum, Kits.ResupplyMaximum);

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

/// <param name="DepotCode">The depot that supplies the site; the first depot unless the protocol names one. Null when the protocol has no depots.</param>
/// <param name="ResupplyMinimum">The site's own <c>resupply_min</c>, when it differs from the trial's (e.g. a faster-recruiting site).</param>
/// <param name="ResupplyMaximum">The site's own <c>resupply_max</c>.</param>
public sealed record Site(string Code, string Name, string Country, string TimeZone, string? DepotCode = null, int? ResupplyMinimum = null, int? ResupplyMaximum = null);

/// <summary>A store of blinded kits that ships to sites. <paramref name="LeadTimeDays"/>: days from a shipment's proposal to its arrival.</summary>
public sealed record Depot(string Code, string Name, string Country, string TimeZone, int LeadTimeDays);

/// <summary>What one blinded kit holds and how site stock is kept up.</summary>
public sealed record KitDefinition(
    int UnitsPerKit,
    string Unit,
    int DosesPerKit,
    int ShelfLifeDays,
    int InitialStockPerSite,
    int ResupplyMinimum,
    int ResupplyMaximum,
    int ExpiryMarginDays = KitDefinition.DefaultExpiryMarginDays)
{
    /// <summary>A kit is not dispensed within this many days of its expiry unless the protocol says otherwise.</summary>
    public const int DefaultExpiryMarginDays = 14;

    /// <summary>Whether a kit expiring on <paramref name="expiry"/> may be handed out on <paramref name="day"/>.</summary>
    public bool IsDispensable(DateOnly expiry, DateOnly day) => day.AddDays(ExpiryMarginDays) < expiry;
}

/// <summary>A coded option: the code is what is stored, the label what people read.</summary>
public sealed record Choice(string Code, string Label);
