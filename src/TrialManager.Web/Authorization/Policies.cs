using Microsoft.AspNetCore.Authorization;
using TrialManager.Domain.Access;

namespace TrialManager.Web.Authorization;

/// <summary>
/// Named authorization policies. Pages declare one with [Authorize(Policy = ...)] and the operation behind the page
/// checks the same policy again (see <see cref="CurrentUser.DemandAsync"/>), so neither can drift alone.
/// Anything not named here falls back to "signed in" (deny by default for anonymous users).
/// </summary>
public static class Policies
{
    public const string Administration = nameof(Administration);
    public const string SiteDirectory = nameof(SiteDirectory);

    /// <summary>Generate a trial's sealed list and kits (no arm is shown to anyone doing it).</summary>
    public const string ManageRandomization = nameof(ManageRandomization);

    /// <summary>Randomize and dispense: site coordinators, at their own sites (checked again per participant).</summary>
    public const string Randomize = nameof(Randomize);

    /// <summary>Register, screen and record visits and forms: site coordinators and investigators, at their own sites.</summary>
    public const string SiteWork = nameof(SiteWork);

    /// <summary>Sign a visit's forms: investigators, at their own sites.</summary>
    public const string Sign = nameof(Sign);

    /// <summary>Raise and close data queries: the data manager.</summary>
    public const string ManageQueries = nameof(ManageQueries);

    /// <summary>See participant records: site staff at their sites, the data manager and the safety officer everywhere.</summary>
    public const string ParticipantRecords = nameof(ParticipantRecords);

    /// <summary>Views that may show block sizes or allocations: the safety officer and the DSMB only.</summary>
    public const string Unblinded = nameof(Unblinded);

    /// <summary>The trial overview (design, list commitment, totals): every role.</summary>
    public const string TrialOverview = nameof(TrialOverview);

    /// <summary>Assess adverse events for the sponsor and record expedited reports: the safety officer.</summary>
    public const string SafetyAssessment = nameof(SafetyAssessment);

    /// <summary>The unblinding vault: the safety officer only.</summary>
    public const string Vault = nameof(Vault);

    /// <summary>The emergency code-break page: investigators (and the safety officer); the protocol narrows who may actually reveal.</summary>
    public const string CodeBreak = nameof(CodeBreak);

    /// <summary>Read the audit trail: site staff for their sites' entries, the data manager, safety officer and administrator.</summary>
    public const string AuditTrail = nameof(AuditTrail);

    /// <summary>The DSMB's open report (pooled, no arm): the sponsor-side roles, blinded or not; never site staff.</summary>
    public const string PooledReports = nameof(PooledReports);

    /// <summary>Depots, lots and shipments (kit codes and counts, never arms): the depot manager and the data manager.</summary>
    public const string SupplyChain = nameof(SupplyChain);

    /// <summary>Depot work: register lots, ship or cancel shipments, decide on quarantined shipments, run the resupply check.</summary>
    public const string DepotWork = nameof(DepotWork);

    /// <summary>A shipment's page: the supply chain roles, and site staff for shipments to their own sites.</summary>
    public const string Shipments = nameof(Shipments);

    /// <summary>Site drug accountability: receive shipments, quarantine, damage, loss, expiry and destruction of kits, at own sites.</summary>
    public const string SiteSupply = nameof(SiteSupply);

    /// <summary>Read a site's accountability log and kit histories: site staff at their sites, the data manager everywhere.</summary>
    public const string Accountability = nameof(Accountability);

    /// <summary>The database lock page: data managers lock and ask to unlock; a second data manager or an administrator approves an unlock.</summary>
    public const string DatabaseLock = nameof(DatabaseLock);

    /// <summary>
    /// The trial's exports page: data managers (blinded exports at any time, unblinded ones after final unblinding) and
    /// DSMB members (unblinded exports after final unblinding only).
    /// </summary>
    public const string Exports = nameof(Exports);

    public static void Register(AuthorizationBuilder builder)
    {
        builder.SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        builder.AddPolicy(Administration, p => p.RequireRole(TrialRoles.Administrator));
        builder.AddPolicy(SiteDirectory, p => p.RequireRole(TrialRoles.All));
        builder.AddPolicy(ManageRandomization, p => p.RequireRole(TrialRoles.Administrator));
        builder.AddPolicy(Randomize, p => p.RequireRole(TrialRoles.SiteCoordinator));
        builder.AddPolicy(SiteWork, p => p.RequireRole(TrialRoles.SiteCoordinator, TrialRoles.Investigator));
        builder.AddPolicy(ManageQueries, p => p.RequireRole(TrialRoles.DataManager));
        builder.AddPolicy(Sign, p => p.RequireRole(TrialRoles.Investigator));
        builder.AddPolicy(ParticipantRecords, p => p.RequireRole(TrialRoles.SiteCoordinator, TrialRoles.Investigator, TrialRoles.DataManager, TrialRoles.SafetyOfficer));
        builder.AddPolicy(TrialOverview, p => p.RequireRole(TrialRoles.All));
        builder.AddPolicy(Unblinded, p => p.RequireRole([.. TrialRoles.Unblinded]));
        builder.AddPolicy(SafetyAssessment, p => p.RequireRole(TrialRoles.SafetyOfficer));
        builder.AddPolicy(Vault, p => p.RequireRole(TrialRoles.SafetyOfficer));
        builder.AddPolicy(CodeBreak, p => p.RequireRole(TrialRoles.Investigator, TrialRoles.SafetyOfficer));
        builder.AddPolicy(AuditTrail, p => p.RequireRole(TrialRoles.SiteCoordinator, TrialRoles.Investigator, TrialRoles.SafetyOfficer, TrialRoles.DataManager, TrialRoles.Administrator));
        builder.AddPolicy(SupplyChain, p => p.RequireRole(TrialRoles.DepotManager, TrialRoles.DataManager));
        builder.AddPolicy(DepotWork, p => p.RequireRole(TrialRoles.DepotManager));
        builder.AddPolicy(Shipments, p => p.RequireRole(TrialRoles.DepotManager, TrialRoles.DataManager, TrialRoles.SiteCoordinator, TrialRoles.Investigator));
        builder.AddPolicy(SiteSupply, p => p.RequireRole(TrialRoles.SiteCoordinator, TrialRoles.Investigator));
        builder.AddPolicy(Accountability, p => p.RequireRole(TrialRoles.SiteCoordinator, TrialRoles.Investigator, TrialRoles.DataManager));
        builder.AddPolicy(DatabaseLock, p => p.RequireRole(TrialRoles.DataManager, TrialRoles.Administrator));
        builder.AddPolicy(Exports, p => p.RequireRole(TrialRoles.DataManager, TrialRoles.DsmbMember));
        builder.AddPolicy(PooledReports, p => p.RequireRole(TrialRoles.DataManager, TrialRoles.Administrator, TrialRoles.SafetyOfficer, TrialRoles.DsmbMember));
    }
}
