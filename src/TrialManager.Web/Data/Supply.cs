using TrialManager.Domain.Supply;
using TrialManager.Web.Data.Audit;

namespace TrialManager.Web.Data;

/// <summary>A store of blinded kits that ships to sites. Shared across trials, like sites; named in the protocol.</summary>
public sealed class Depot
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public string Code { get; set; } = "";

    public string Name { get; set; } = "";

    public string Country { get; set; } = "";

    public string TimeZone { get; set; } = "UTC";
}

/// <summary>
/// A packaging lot: kits made together, sharing an expiry date. A lot always holds every arm in the ratio, so a lot
/// number or an expiry date says nothing about a kit's arm.
/// </summary>
public sealed class KitLot : IAuditScoped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid TrialId { get; set; }

    public Guid? DepotId { get; set; }

    /// <summary>e.g. "PSI-MDD-01-L001"; unique within the trial.</summary>
    public string Number { get; set; } = "";

    public DateOnly ExpiresOn { get; set; }

    public int KitCount { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public string CreatedByName { get; set; } = "";

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => null;

    Guid? IAuditScoped.AuditParticipantId => null;
}

public enum ShipmentStatus
{
    /// <summary>Proposed by the resupply check (or asked for by hand); the depot has not sent it yet.</summary>
    Requested,
    Shipped,

    /// <summary>Received in good order; its kits are on the site's shelf.</summary>
    Received,

    /// <summary>Received with a temperature excursion or damage; its kits wait for the depot's decision.</summary>
    Quarantined,

    /// <summary>Quarantined, then judged usable: its kits are on the shelf.</summary>
    Released,

    /// <summary>Quarantined, then judged unusable: its kits are damaged and await destruction.</summary>
    Rejected,

    /// <summary>Withdrawn before it was shipped; its kits stay at the depot.</summary>
    Cancelled,
}

public enum ShipmentReason
{
    /// <summary>The stock placed when the list was generated.</summary>
    Initial,
    Resupply,
    Manual,
}

/// <summary>Kits sent from a depot to a site. Its kit count and codes are all anyone sees of it: no arm, no per-arm count.</summary>
public sealed class Shipment : IAuditScoped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid TrialId { get; set; }

    public Guid? DepotId { get; set; }

    public Guid SiteId { get; set; }

    /// <summary>1, 2, ... per trial and site (0 for the initial stock); also labels the stream that shuffled its packing list.</summary>
    public int Number { get; set; }

    public ShipmentStatus Status { get; set; }

    public ShipmentReason Reason { get; set; }

    public int KitCount { get; set; }

    public DateTimeOffset RequestedAt { get; set; }

    public string RequestedByName { get; set; } = "";

    public DateOnly? ExpectedOn { get; set; }

    public DateTimeOffset? ShippedAt { get; set; }

    public string? ShippedByName { get; set; }

    public string? Carrier { get; set; }

    public string? TrackingNumber { get; set; }

    public DateTimeOffset? ReceivedAt { get; set; }

    public string? ReceivedByName { get; set; }

    /// <summary>Whether the outer packaging arrived intact.</summary>
    public bool? PackagingIntact { get; set; }

    /// <summary>Whether the temperature logger showed an excursion outside the labelled range.</summary>
    public bool? TemperatureExcursion { get; set; }

    public decimal? MinimumTemperatureC { get; set; }

    public decimal? MaximumTemperatureC { get; set; }

    public string ReceiptNote { get; set; } = "";

    public DateTimeOffset? DecidedAt { get; set; }

    public string? DecidedByName { get; set; }

    public string DecisionNote { get; set; } = "";

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => null;
}

/// <summary>One line of a shipment's packing list, in the shuffled order the kits were packed.</summary>
public sealed class ShipmentKit : IAuditScoped
{
    public Guid ShipmentId { get; set; }

    public Guid KitId { get; set; }

    public int Position { get; set; }

    public string KitCode { get; set; } = "";

    public Guid TrialId { get; set; }

    public Guid SiteId { get; set; }

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => null;
}

/// <summary>
/// One line of a site's drug accountability log: something that happened to one kit. Append-only (a trigger refuses
/// UPDATE and DELETE); replayed through the domain's <see cref="KitLedger"/> to give the running unit balance and to
/// reconcile. Never names an arm.
/// </summary>
public sealed class KitLedgerEntry : IAuditScoped
{
    /// <summary>Database identity: the order events happened in.</summary>
    public long Sequence { get; set; }

    public Guid TrialId { get; set; }

    public Guid SiteId { get; set; }

    public Guid KitId { get; set; }

    public string KitCode { get; set; } = "";

    /// <summary>The event, named as in the domain ledger: Shipped, Received, Quarantined, Released, Dispensed, Returned, Lost, Damaged, Expired, Destroyed.</summary>
    public KitEventKind Kind { get; set; }

    /// <summary>Units received, or counted back (return, damaged from a participant).</summary>
    public int? Units { get; set; }

    public Guid? ParticipantId { get; set; }

    public string ParticipantNumber { get; set; } = "";

    public Guid? ShipmentId { get; set; }

    public Guid? DestructionId { get; set; }

    public string Reason { get; set; } = "";

    public DateTimeOffset At { get; set; }

    public string ByUserId { get; set; } = "";

    public string ByName { get; set; } = "";

    /// <summary>For a destruction: the two people who witnessed it (user ids), in the order they signed.</summary>
    public string? Witness1UserId { get; set; }

    public string? Witness2UserId { get; set; }

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => ParticipantId;
}

public enum KitEventKind
{
    Shipped,
    Received,
    Quarantined,
    Released,
    Dispensed,
    Returned,
    Lost,
    Damaged,
    Expired,
    Destroyed,
}

public enum DestructionStatus
{
    AwaitingWitness,
    Witnessed,
    Cancelled,
}

/// <summary>
/// Kits destroyed together: recorded by one person with their password, then witnessed by a second, different person
/// with theirs. Only the witnessed destruction moves the kits to Destroyed.
/// </summary>
public sealed class KitDestruction : IAuditScoped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid TrialId { get; set; }

    public Guid SiteId { get; set; }

    public DestructionStatus Status { get; set; }

    /// <summary>How: e.g. "Incineration by licensed contractor", "Denaturing kit".</summary>
    public string Method { get; set; } = "";

    public string Note { get; set; } = "";

    public DateTimeOffset RecordedAt { get; set; }

    public string RecordedByUserId { get; set; } = "";

    public string RecordedByName { get; set; } = "";

    public DateTimeOffset? WitnessedAt { get; set; }

    public string? WitnessUserId { get; set; }

    public string? WitnessName { get; set; }

    public List<KitDestructionKit> Kits { get; } = [];

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => null;
}

public sealed class KitDestructionKit : IAuditScoped
{
    public Guid DestructionId { get; set; }

    public Guid KitId { get; set; }

    public string KitCode { get; set; } = "";

    /// <summary>Units in the kit when it was put forward for destruction.</summary>
    public int Units { get; set; }

    public Guid TrialId { get; set; }

    public Guid SiteId { get; set; }

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => null;
}
