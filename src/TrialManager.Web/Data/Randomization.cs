using TrialManager.Domain.Supply;
using TrialManager.Web.Data.Audit;

namespace TrialManager.Web.Data;

/// <summary>A trial's data key, wrapped (AES-256-GCM) by the master key, which is never stored in the database.</summary>
public sealed class TrialKey
{
    public Guid TrialId { get; set; }

    public string MasterKeyId { get; set; } = "";

    [Sealed]
    public byte[] WrappedKey { get; set; } = [];
}

/// <summary>
/// The trial's sealed randomization list. The seed and the salt are sealed; the commitment (SHA-256 of salt and the
/// canonical list) is public and is verified before every reveal.
/// </summary>
public sealed class SealedRandomizationList : IAuditScoped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid TrialId { get; set; }

    public Guid ProtocolVersionId { get; set; }

    public string Commitment { get; set; } = "";

    [Sealed]
    public byte[] SealedSeed { get; set; } = [];

    [Sealed]
    public byte[] SealedSalt { get; set; } = [];

    public int StrataCount { get; set; }

    public int SlotsPerStratum { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public string CreatedBy { get; set; } = "";

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => null;

    Guid? IAuditScoped.AuditParticipantId => null;
}

/// <summary>One position of one stratum's list. Its arm is sealed; its number says nothing about the arm.</summary>
public sealed class RandomizationSlot : IAuditScoped
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid ListId { get; set; }

    public Guid TrialId { get; set; }

    /// <summary>Canonical stratum key, e.g. "LON|baseline_severity=moderate".</summary>
    public string StratumKey { get; set; } = "";

    /// <summary>1-based position within the stratum; slots are used strictly in this order.</summary>
    public int Number { get; set; }

    [Sealed]
    public byte[] SealedArm { get; set; } = [];

    public Guid? ParticipantId { get; set; }

    public DateTimeOffset? AssignedAt { get; set; }

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => null;

    Guid? IAuditScoped.AuditParticipantId => ParticipantId;
}

/// <summary>The next unused slot number of a stratum. Taking a slot increments it under a row lock, so slots go strictly in order.</summary>
public sealed class StratumCursor
{
    public Guid ListId { get; set; }

    public string StratumKey { get; set; } = "";

    public int NextNumber { get; set; } = 1;
}

/// <summary>A blinded package. Its code is random and carries a check character; its arm is sealed.</summary>
public sealed class Kit : IAuditScoped
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid TrialId { get; set; }

    /// <summary>e.g. "K7Q-4MX": random, not sequential, with a check character.</summary>
    public string Code { get; set; } = "";

    [Sealed]
    public byte[] SealedArm { get; set; } = [];

    /// <summary>Null while at the depot.</summary>
    public Guid? SiteId { get; set; }

    /// <summary>Where the kit is in its life; every change is also a line of the site's accountability log (<see cref="KitLedgerEntry"/>).</summary>
    public KitState State { get; set; }

    public DateOnly ExpiresOn { get; set; }

    /// <summary>The packaging lot (null for kits made before lots were recorded).</summary>
    public Guid? LotId { get; set; }

    /// <summary>The depot holding the kit, or that shipped it.</summary>
    public Guid? DepotId { get; set; }

    /// <summary>The shipment that took or is taking the kit to its site.</summary>
    public Guid? ShipmentId { get; set; }

    /// <summary>Units in the kit now, as the ledger has them: as made, as received, or as counted back.</summary>
    public int Units { get; set; }

    public Guid? ParticipantId { get; set; }

    public DateTimeOffset? DispensedAt { get; set; }

    /// <summary>The kit this one replaced (damaged or lost).</summary>
    public Guid? ReplacesKitId { get; set; }

    public DateOnly? ReturnedOn { get; set; }

    /// <summary>Units (e.g. capsules) brought back unused; the pill count behind adherence.</summary>
    public int? UnusedUnitsReturned { get; set; }

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => ParticipantId;
}

public enum DispensingKind
{
    Randomization,
    Visit,
    Replacement,
}

/// <summary>A kit handed to a participant: at randomization, at a dispensing visit, or to replace a damaged or lost kit.</summary>
public sealed class Dispensing : IAuditScoped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid TrialId { get; set; }

    public Guid SiteId { get; set; }

    public Guid ParticipantId { get; set; }

    public Guid KitId { get; set; }

    public string KitCode { get; set; } = "";

    public DispensingKind Kind { get; set; }

    /// <summary>The protocol visit at which it was dispensed (e.g. "D0", "W3").</summary>
    public string VisitCode { get; set; } = "";

    public DateTimeOffset At { get; set; }

    public string ByUserId { get; set; } = "";

    public string ByName { get; set; } = "";

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => ParticipantId;
}

/// <summary>A per-trial counter (e.g. the next randomization number), incremented under a row lock.</summary>
public sealed class TrialCounter
{
    public Guid TrialId { get; set; }

    public string Name { get; set; } = "";

    public int Value { get; set; }
}

/// <summary>An in-app message to one user (alerts such as "randomization blocked"). Never carries an arm.</summary>
public sealed class Notification
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public string UserId { get; set; } = "";

    public string Subject { get; set; } = "";

    public string Body { get; set; } = "";

    public string Link { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? ReadAt { get; set; }
}
