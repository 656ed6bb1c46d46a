namespace TrialManager.Benchmarks.Generation;

/// <summary>
/// The accounts a generated trial is worked by: a coordinator and an investigator per site, and one account for each
/// trial-wide role. All share the run's password (<see cref="ScaleOptions.Password"/>).
/// </summary>
public static class ScaleAccounts
{
    public const string Domain = "scale.test";

    public const string SafetyOfficer = "safety@" + Domain;
    public const string DsmbMember = "dsmb@" + Domain;
    public const string DataManager = "datamanager@" + Domain;
    public const string Administrator = "admin@" + Domain;
    public const string DepotManager = "depot@" + Domain;

    /// <summary>The trial-wide accounts, in the order they are created.</summary>
    public static IReadOnlyList<string> TrialWide { get; } = [Administrator, SafetyOfficer, DsmbMember, DataManager, DepotManager];

    public static string Coordinator(string siteCode) => $"coordinator.{siteCode.ToLowerInvariant()}@{Domain}";

    public static string Investigator(string siteCode) => $"investigator.{siteCode.ToLowerInvariant()}@{Domain}";
}
