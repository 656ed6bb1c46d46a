using TrialManager.Domain.Access;

namespace TrialManager.Benchmarks.Soak;

/// <summary>One part a simulated person plays: a role, the site they work at (site staff only), and which one of that kind they are.</summary>
public sealed record SoakPart(string Role, string? SiteCode, int Number)
{
    public string Email => $"{Local}@{SoakCast.Domain}";

    public string DisplayName => SiteCode is null ? $"{TrialRoles.DisplayName(Role)} {Number}" : $"{TrialRoles.DisplayName(Role)} {SiteCode} {Number}";

    public bool IsSiteStaff => SiteCode is not null;

    private string Local => Role switch
    {
        TrialRoles.SiteCoordinator => $"coordinator.{SiteCode!.ToLowerInvariant()}.{Number}",
        TrialRoles.Investigator => $"investigator.{SiteCode!.ToLowerInvariant()}.{Number}",
        TrialRoles.DataManager => $"datamanager.{Number}",
        TrialRoles.SafetyOfficer => $"safety.{Number}",
        TrialRoles.DsmbMember => $"dsmb.{Number}",
        TrialRoles.DepotManager => $"depot.{Number}",
        TrialRoles.Administrator => $"admin.{Number}",
        _ => throw new ArgumentOutOfRangeException(nameof(Role), Role, "not a part of the soak"),
    };
}

/// <summary>
/// Who works during a soak: both sites' coordinators and investigators doing the writing, and the trial-wide readers
/// (data manager, safety officer with an authenticator, DSMB). Each simulated person has an account of their own, as
/// sixteen real people would; the crawl signs in as the blinded roles afterwards.
/// </summary>
public static class SoakCast
{
    public const string Domain = "soak.test";

    /// <summary>The sixteen parts, in casting order: a smaller soak takes the first ones, so both sites and every kind still take part early.</summary>
    public static IReadOnlyList<SoakPart> Parts { get; } =
    [
        new(TrialRoles.SiteCoordinator, "LON", 1),
        new(TrialRoles.SiteCoordinator, "BOS", 1),
        new(TrialRoles.Investigator, "LON", 1),
        new(TrialRoles.Investigator, "BOS", 1),
        new(TrialRoles.DataManager, null, 1),
        new(TrialRoles.SafetyOfficer, null, 1),
        new(TrialRoles.DsmbMember, null, 1),
        new(TrialRoles.SiteCoordinator, "LON", 2),
        new(TrialRoles.SiteCoordinator, "BOS", 2),
        new(TrialRoles.Investigator, "LON", 2),
        new(TrialRoles.Investigator, "BOS", 2),
        new(TrialRoles.SiteCoordinator, "LON", 3),
        new(TrialRoles.SiteCoordinator, "BOS", 3),
        new(TrialRoles.DataManager, null, 2),
        new(TrialRoles.SafetyOfficer, null, 2),
        new(TrialRoles.DsmbMember, null, 2),
    ];

    /// <summary>The blinded people whose reach the crawler reads after the traffic: site staff of each site, the data manager, the depot and the administrator.</summary>
    public static IReadOnlyList<SoakPart> BlindedCrawlers { get; } =
    [
        new(TrialRoles.SiteCoordinator, "LON", 1),
        new(TrialRoles.Investigator, "BOS", 1),
        new(TrialRoles.DataManager, null, 1),
        new(TrialRoles.DepotManager, null, 1),
        new(TrialRoles.Administrator, null, 1),
    ];

    /// <summary>Unblinded: reads the DSMB closed report, where the arms must show (the leak check's positive control).</summary>
    public static SoakPart Unblinded { get; } = new(TrialRoles.DsmbMember, null, 1);

    public static IEnumerable<SoakPart> Accounts => Parts.Concat(BlindedCrawlers).Append(Unblinded).DistinctBy(p => p.Email);
}
