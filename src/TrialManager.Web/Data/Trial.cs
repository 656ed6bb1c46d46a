namespace TrialManager.Web.Data;

/// <summary>A trial run on this installation. Its design comes from its protocol versions; the newest is in force.</summary>
public sealed class Trial
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    /// <summary>The protocol's code (e.g. "PSI-MDD-01"); the same across amendments.</summary>
    public string Code { get; set; } = "";

    /// <summary>Title from the newest protocol version.</summary>
    public string Title { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The database lock (see <see cref="DatabaseLockChange"/> for its history); writes to a locked trial's records are refused.</summary>
    public TrialLockLevel LockLevel { get; set; }

    /// <summary>When two people released the allocation at final unblinding (after hard lock); null before.</summary>
    public DateTimeOffset? FinalUnblindedAt { get; set; }

    public List<ProtocolVersion> ProtocolVersions { get; } = [];

    public List<TrialSite> Sites { get; } = [];
}

/// <summary>
/// One imported protocol text. Sequence 1 is the original; each later import with different content is an amendment.
/// The source text is kept exactly as imported (sealed), with its canonical content hash; every record collected under the
/// trial keeps the version it was collected under.
/// </summary>
public sealed class ProtocolVersion
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid TrialId { get; set; }

    public Trial? Trial { get; set; }

    /// <summary>1 for the original protocol, 2 for the first amendment, and so on.</summary>
    public int Sequence { get; set; }

    /// <summary>The sponsor's version label from the file (e.g. "1.0", "2.1").</summary>
    public string Version { get; set; } = "";

    /// <summary>SHA-256 of the canonical content (see the domain's ProtocolContentHash).</summary>
    public string ContentHash { get; set; } = "";

    public string FileName { get; set; } = "";

    /// <summary>The file's text exactly as imported, sealed (it names the arms and the block sizes).</summary>
    [Audit.Sealed]
    public byte[] SealedSourceText { get; set; } = [];

    public DateTimeOffset ImportedAt { get; set; }

    /// <summary>User id, or "command-line" for imports made with the command-line entry point.</summary>
    public string ImportedBy { get; set; } = "";

    /// <summary>Printed name of whoever imported it, kept as it was at the time.</summary>
    public string ImportedByName { get; set; } = "";
}

/// <summary>A site taking part in a trial (from the trial's protocol).</summary>
public sealed class TrialSite
{
    public Guid TrialId { get; set; }

    public Guid SiteId { get; set; }

    /// <summary>The depot that supplies this site in this trial (from the protocol); null when the trial has no depots.</summary>
    public Guid? DepotId { get; set; }

    public Trial? Trial { get; set; }

    public Site? Site { get; set; }
}
