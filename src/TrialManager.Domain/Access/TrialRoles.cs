namespace TrialManager.Domain.Access;

/// <summary>
/// The roles a person can hold in TrialManager, and the facts about each that the rest of the system keys off:
/// whether the role works inside its own sites only, whether it may ever see an arm, and whether it must sign
/// in with a second factor.
/// </summary>
public static class TrialRoles
{
    public const string SiteCoordinator = nameof(SiteCoordinator);
    public const string Investigator = nameof(Investigator);
    public const string SafetyOfficer = nameof(SafetyOfficer);
    public const string DsmbMember = nameof(DsmbMember);
    public const string DataManager = nameof(DataManager);
    public const string Administrator = nameof(Administrator);

    /// <summary>The sponsor's depot and clinical-supply staff: lots, shipments, quarantine decisions. Blinded; sees no participant.</summary>
    public const string DepotManager = nameof(DepotManager);

    public static IReadOnlyList<string> All { get; } =
        [SiteCoordinator, Investigator, SafetyOfficer, DsmbMember, DataManager, Administrator, DepotManager];

    /// <summary>Roles whose work is done at sites: they see only the sites they are members of.</summary>
    public static IReadOnlySet<string> SiteScoped { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        SiteCoordinator, Investigator,
    };

    /// <summary>Roles that may see allocations (the vault, the DSMB's closed reports). Everyone else is blinded.</summary>
    public static IReadOnlySet<string> Unblinded { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        SafetyOfficer, DsmbMember,
    };

    /// <summary>Roles that must have a second factor before they can use anything.</summary>
    public static IReadOnlySet<string> RequireTwoFactor { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        SafetyOfficer, Administrator,
    };

    public static bool IsKnown(string role) => All.Contains(role, StringComparer.Ordinal);

    public static string DisplayName(string role) => role switch
    {
        SiteCoordinator => "Site coordinator",
        Investigator => "Investigator",
        SafetyOfficer => "Safety officer",
        DsmbMember => "DSMB member",
        DataManager => "Data manager",
        Administrator => "Administrator",
        DepotManager => "Depot manager",
        _ => role,
    };
}
