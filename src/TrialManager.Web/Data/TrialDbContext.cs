using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;
using TrialManager.Web.Data.Audit;

namespace TrialManager.Web.Data;

/// <summary>
/// The one database context. Every SaveChanges writes audit entries for all it saves, in the same transaction
/// (see <see cref="AuditCapture"/>); there is no other way to save through it.
/// </summary>
public sealed class TrialDbContext(DbContextOptions<TrialDbContext> options, IHttpContextAccessor? httpContext = null)
    : IdentityDbContext<ApplicationUser>(options)
{
    public DbSet<AuditEntry> AuditTrail => Set<AuditEntry>();

    public DbSet<TrialKey> TrialKeys => Set<TrialKey>();

    public DbSet<SealedRandomizationList> RandomizationLists => Set<SealedRandomizationList>();

    public DbSet<RandomizationSlot> RandomizationSlots => Set<RandomizationSlot>();

    public DbSet<StratumCursor> StratumCursors => Set<StratumCursor>();

    public DbSet<Kit> Kits => Set<Kit>();

    public DbSet<Dispensing> Dispensings => Set<Dispensing>();

    public DbSet<TrialCounter> TrialCounters => Set<TrialCounter>();

    public DbSet<Participant> Participants => Set<Participant>();

    public DbSet<Notification> Notifications => Set<Notification>();

    public DbSet<EligibilityAssessment> EligibilityAssessments => Set<EligibilityAssessment>();

    public DbSet<FormEntry> FormEntries => Set<FormEntry>();

    public DbSet<FormValue> FormValues => Set<FormValue>();

    public DbSet<VisitRecord> VisitRecords => Set<VisitRecord>();

    public DbSet<ProtocolDeviation> ProtocolDeviations => Set<ProtocolDeviation>();

    public DbSet<DataQuery> DataQueries => Set<DataQuery>();

    public DbSet<DiaryEntry> DiaryEntries => Set<DiaryEntry>();

    public DbSet<Signature> Signatures => Set<Signature>();

    public DbSet<AdverseEvent> AdverseEvents => Set<AdverseEvent>();

    public DbSet<AdverseEventVersion> AdverseEventVersions => Set<AdverseEventVersion>();

    public DbSet<SafetyAssessment> SafetyAssessments => Set<SafetyAssessment>();

    public DbSet<ExpeditedReport> ExpeditedReports => Set<ExpeditedReport>();

    public DbSet<SafetyAlert> SafetyAlerts => Set<SafetyAlert>();

    public DbSet<OutboxEmail> OutboxEmails => Set<OutboxEmail>();

    public DbSet<Unblinding> Unblindings => Set<Unblinding>();

    public DbSet<ListAccessRequest> ListAccessRequests => Set<ListAccessRequest>();

    public DbSet<BlindingGuessRecord> BlindingGuesses => Set<BlindingGuessRecord>();

    public DbSet<DatabaseLockChange> DatabaseLockChanges => Set<DatabaseLockChange>();

    public DbSet<ExportRecord> ExportRecords => Set<ExportRecord>();

    /// <summary>Why the pending changes are made; required by operations that change completed or signed records.</summary>
    public string AuditReason { get; set; } = "";

    /// <summary>Who acts when there is no signed-in user (start-up, demo seed, command line).</summary>
    public AuditActor? AuditActorOverride { get; set; }

    public AuditActor CurrentActor => AuditActorOverride ?? AuditActor.From(httpContext?.HttpContext, "anonymous");

    /// <summary>Adds a workflow entry (randomize, dispense, sign in, ...) to be saved with the pending changes.</summary>
    /// <remarks>Details are serialised to JSON; they must never hold an arm (the leak tests read the audit trail).</remarks>
    public void AuditAction(string action, string entityType, string entityId, object details, Guid? trialId = null, Guid? siteId = null, Guid? participantId = null) =>
        AuditTrail.Add(CurrentActor.Entry(action, entityType, entityId, System.Text.Json.JsonSerializer.Serialize(details), AuditReason, trialId, siteId, participantId));

    public override int SaveChanges(bool acceptAllChangesOnSuccess) =>
        SaveChangesAsync(acceptAllChangesOnSuccess).GetAwaiter().GetResult();

    /// <summary>
    /// Saves the changes and their audit entries atomically: the data first, then the entries (captured before the data
    /// was written, so old values are right), in one transaction, after the database lock's check (<see cref="DatabaseLockGuard"/>). Writing the entries last keeps the audit chain's lock,
    /// taken by the database at the first entry and held to commit, as short as it can be.
    /// </summary>
    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        var captured = AuditCapture.Collect(this, CurrentActor, AuditReason);
        var pendingActions = ChangeTracker.Entries<AuditEntry>().Where(e => e.State == EntityState.Added).ToList();
        foreach (var action in pendingActions)
        {
            action.State = EntityState.Detached;
        }

        var ownTransaction = Database.CurrentTransaction is null ? await Database.BeginTransactionAsync(cancellationToken) : null;
        try
        {
            await DatabaseLockGuard.CheckAsync(this, cancellationToken);
            var written = await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
            AuditTrail.AddRange(captured);
            AuditTrail.AddRange(pendingActions.Select(a => a.Entity));
            written += await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
            if (ownTransaction is not null)
            {
                await ownTransaction.CommitAsync(cancellationToken);
            }

            return written;
        }
        finally
        {
            if (ownTransaction is not null)
            {
                await ownTransaction.DisposeAsync();
            }
        }
    }

    public DbSet<Site> Sites => Set<Site>();

    public DbSet<SiteMembership> SiteMemberships => Set<SiteMembership>();

    public DbSet<Trial> Trials => Set<Trial>();

    public DbSet<ProtocolVersion> ProtocolVersions => Set<ProtocolVersion>();

    public DbSet<TrialSite> TrialSites => Set<TrialSite>();

    public DbSet<Depot> Depots => Set<Depot>();

    public DbSet<KitLot> KitLots => Set<KitLot>();

    public DbSet<Shipment> Shipments => Set<Shipment>();

    public DbSet<ShipmentKit> ShipmentKits => Set<ShipmentKit>();

    public DbSet<KitLedgerEntry> KitLedger => Set<KitLedgerEntry>();

    public DbSet<KitDestruction> KitDestructions => Set<KitDestruction>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);

        builder.Entity<ApplicationUser>(user =>
        {
            user.Property(u => u.DisplayName).HasMaxLength(200).IsRequired();
        });

        builder.Entity<Site>(site =>
        {
            site.ToTable("Sites");
            site.HasKey(s => s.Id);
            site.Property(s => s.Code).HasMaxLength(40).IsRequired();
            site.HasIndex(s => s.Code).IsUnique();
            site.Property(s => s.Name).HasMaxLength(200).IsRequired();
            site.Property(s => s.Country).HasMaxLength(2).IsRequired();
            site.Property(s => s.TimeZone).HasMaxLength(64).IsRequired();
        });

        builder.Entity<SiteMembership>(membership =>
        {
            membership.ToTable("SiteMemberships");
            membership.HasKey(m => new { m.UserId, m.SiteId });
            membership.HasOne(m => m.User).WithMany(u => u.SiteMemberships).HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
            membership.HasOne(m => m.Site).WithMany(s => s.Members).HasForeignKey(m => m.SiteId).OnDelete(DeleteBehavior.Restrict);
            membership.HasIndex(m => m.SiteId);
        });

        builder.Entity<Trial>(trial =>
        {
            trial.ToTable("Trials");
            trial.HasKey(t => t.Id);
            trial.Property(t => t.Code).HasMaxLength(64).IsRequired();
            trial.HasIndex(t => t.Code).IsUnique();
            trial.Property(t => t.Title).HasMaxLength(400).IsRequired();
            trial.Property(t => t.LockLevel).HasConversion<string>().HasMaxLength(8);
        });

        builder.Entity<ProtocolVersion>(version =>
        {
            version.ToTable("ProtocolVersions");
            version.HasKey(v => v.Id);
            version.HasOne(v => v.Trial).WithMany(t => t.ProtocolVersions).HasForeignKey(v => v.TrialId).OnDelete(DeleteBehavior.Restrict);
            // Two imports racing for the same trial cannot both become amendment N, nor store the same content twice.
            version.HasIndex(v => new { v.TrialId, v.Sequence }).IsUnique();
            version.HasIndex(v => new { v.TrialId, v.ContentHash }).IsUnique();
            version.Property(v => v.Version).HasMaxLength(32).IsRequired();
            version.Property(v => v.ContentHash).HasMaxLength(64).IsFixedLength().IsRequired();
            version.Property(v => v.FileName).HasMaxLength(255).IsRequired();
            version.Property(v => v.SealedSourceText).IsRequired();
            version.Property(v => v.ImportedBy).HasMaxLength(450).IsRequired();
            version.Property(v => v.ImportedByName).HasMaxLength(200).IsRequired();
        });

        builder.Entity<AuditEntry>(audit =>
        {
            audit.ToTable("AuditTrail");
            audit.HasKey(a => a.Id);
            audit.Property(a => a.Id).UseIdentityAlwaysColumn();
            // Filled by the database trigger (chain position, server time, hashes); EF reads them back.
            audit.Property(a => a.ChainSeq).ValueGeneratedOnAdd().Metadata.SetValueGenerationStrategy(NpgsqlValueGenerationStrategy.None);
            audit.Property(a => a.OccurredAt).ValueGeneratedOnAdd();
            audit.Property(a => a.PreviousHash).HasMaxLength(64).IsFixedLength().ValueGeneratedOnAdd();
            audit.Property(a => a.Hash).HasMaxLength(64).IsFixedLength().ValueGeneratedOnAdd();
            audit.HasIndex(a => a.ChainSeq).IsUnique();
            audit.HasIndex(a => new { a.ParticipantId, a.ChainSeq });
            audit.HasIndex(a => new { a.SiteId, a.ChainSeq });
            audit.HasIndex(a => new { a.EntityType, a.EntityId });
            audit.Property(a => a.UserId).HasMaxLength(450);
            audit.Property(a => a.UserName).HasMaxLength(200);
            audit.Property(a => a.Roles).HasMaxLength(200);
            audit.Property(a => a.IpAddress).HasMaxLength(64);
            audit.Property(a => a.Action).HasMaxLength(64);
            audit.Property(a => a.EntityType).HasMaxLength(128);
            audit.Property(a => a.EntityId).HasMaxLength(512);
        });

        ConfigureRandomization(builder);
        ConfigureRecords(builder);
        ConfigureSafety(builder);
        ConfigureUnblinding(builder);
        ConfigureSupply(builder);

        builder.Entity<TrialSite>(link =>
        {
            link.ToTable("TrialSites");
            link.HasKey(l => new { l.TrialId, l.SiteId });
            link.HasOne(l => l.Trial).WithMany(t => t.Sites).HasForeignKey(l => l.TrialId).OnDelete(DeleteBehavior.Cascade);
            link.HasOne(l => l.Site).WithMany().HasForeignKey(l => l.SiteId).OnDelete(DeleteBehavior.Restrict);
            link.HasIndex(l => l.SiteId);
            link.HasOne<Depot>().WithMany().HasForeignKey(l => l.DepotId).OnDelete(DeleteBehavior.Restrict);
            link.HasIndex(l => l.DepotId);
        });
    }

    private static void ConfigureRandomization(ModelBuilder builder)
    {
        builder.Entity<TrialKey>(key =>
        {
            key.ToTable("TrialKeys");
            key.HasKey(k => k.TrialId);
            key.HasOne<Trial>().WithMany().HasForeignKey(k => k.TrialId).OnDelete(DeleteBehavior.Restrict);
            key.Property(k => k.MasterKeyId).HasMaxLength(16).IsRequired();
        });

        builder.Entity<SealedRandomizationList>(list =>
        {
            list.ToTable("RandomizationLists");
            list.HasKey(l => l.Id);
            // One list per trial: generating twice is refused by the database, not only by the page.
            list.HasIndex(l => l.TrialId).IsUnique();
            list.HasOne<Trial>().WithMany().HasForeignKey(l => l.TrialId).OnDelete(DeleteBehavior.Restrict);
            list.HasOne<ProtocolVersion>().WithMany().HasForeignKey(l => l.ProtocolVersionId).OnDelete(DeleteBehavior.Restrict);
            list.Property(l => l.Commitment).HasMaxLength(64).IsFixedLength().IsRequired();
            list.Property(l => l.CreatedBy).HasMaxLength(450).IsRequired();
        });

        builder.Entity<RandomizationSlot>(slot =>
        {
            slot.ToTable("RandomizationSlots");
            slot.HasKey(s => s.Id);
            slot.HasOne<SealedRandomizationList>().WithMany().HasForeignKey(s => s.ListId).OnDelete(DeleteBehavior.Restrict);
            slot.Property(s => s.StratumKey).HasMaxLength(400).IsRequired();
            slot.HasIndex(s => new { s.ListId, s.StratumKey, s.Number }).IsUnique();
            // A participant holds at most one slot, whatever the code above does.
            slot.HasIndex(s => s.ParticipantId).IsUnique();
            slot.HasOne<Participant>().WithMany().HasForeignKey(s => s.ParticipantId).OnDelete(DeleteBehavior.Restrict);
        });

        builder.Entity<StratumCursor>(cursor =>
        {
            cursor.ToTable("StratumCursors");
            cursor.HasKey(c => new { c.ListId, c.StratumKey });
            cursor.Property(c => c.StratumKey).HasMaxLength(400);
            cursor.HasOne<SealedRandomizationList>().WithMany().HasForeignKey(c => c.ListId).OnDelete(DeleteBehavior.Restrict);
        });

        builder.Entity<Kit>(kit =>
        {
            kit.ToTable("Kits");
            kit.HasKey(k => k.Id);
            kit.Property(k => k.Code).HasMaxLength(16).IsRequired();
            kit.HasIndex(k => k.Code).IsUnique();
            kit.HasIndex(k => new { k.TrialId, k.SiteId, k.State });
            kit.Property(k => k.State).HasConversion<string>().HasMaxLength(16);
            kit.HasOne<Trial>().WithMany().HasForeignKey(k => k.TrialId).OnDelete(DeleteBehavior.Restrict);
            kit.HasOne<Site>().WithMany().HasForeignKey(k => k.SiteId).OnDelete(DeleteBehavior.Restrict);
            kit.HasOne<Participant>().WithMany().HasForeignKey(k => k.ParticipantId).OnDelete(DeleteBehavior.Restrict);
            kit.HasIndex(k => k.ParticipantId);
            kit.HasOne<KitLot>().WithMany().HasForeignKey(k => k.LotId).OnDelete(DeleteBehavior.Restrict);
            kit.HasIndex(k => k.LotId);
            kit.HasOne<Depot>().WithMany().HasForeignKey(k => k.DepotId).OnDelete(DeleteBehavior.Restrict);
            kit.HasIndex(k => new { k.TrialId, k.DepotId, k.State });
            kit.HasOne<Shipment>().WithMany().HasForeignKey(k => k.ShipmentId).OnDelete(DeleteBehavior.Restrict);
            kit.HasIndex(k => k.ShipmentId);
        });

        builder.Entity<Dispensing>(dispensing =>
        {
            dispensing.ToTable("Dispensings");
            dispensing.HasKey(d => d.Id);
            dispensing.Property(d => d.Kind).HasConversion<string>().HasMaxLength(16);
            dispensing.Property(d => d.KitCode).HasMaxLength(16).IsRequired();
            dispensing.Property(d => d.VisitCode).HasMaxLength(40).IsRequired();
            dispensing.Property(d => d.ByUserId).HasMaxLength(450).IsRequired();
            dispensing.Property(d => d.ByName).HasMaxLength(200).IsRequired();
            dispensing.HasOne<Participant>().WithMany().HasForeignKey(d => d.ParticipantId).OnDelete(DeleteBehavior.Restrict);
            dispensing.HasOne<Kit>().WithMany().HasForeignKey(d => d.KitId).OnDelete(DeleteBehavior.Restrict);
            // A kit is dispensed once.
            dispensing.HasIndex(d => d.KitId).IsUnique();
            dispensing.HasIndex(d => d.ParticipantId);
        });

        builder.Entity<TrialCounter>(counter =>
        {
            counter.ToTable("TrialCounters");
            counter.HasKey(c => new { c.TrialId, c.Name });
            counter.Property(c => c.Name).HasMaxLength(64);
        });

        builder.Entity<Participant>(participant =>
        {
            participant.ToTable("Participants");
            participant.HasKey(p => p.Id);
            participant.Property(p => p.Number).HasMaxLength(48).IsRequired();
            participant.HasIndex(p => new { p.TrialId, p.Number }).IsUnique();
            participant.HasIndex(p => new { p.TrialId, p.RandomizationNumber }).IsUnique();
            participant.HasIndex(p => new { p.SiteId, p.Status });
            participant.Property(p => p.Sex).HasMaxLength(40).IsRequired();
            participant.Property(p => p.Status).HasConversion<string>().HasMaxLength(16);
            participant.Property(p => p.StratumLevels).HasMaxLength(400).IsRequired();
            participant.Property(p => p.RandomizationNumber).HasMaxLength(32);
            participant.Property(p => p.RandomizedBy).HasMaxLength(450);
            participant.Property(p => p.RandomizedByName).HasMaxLength(200);
            participant.Property(p => p.Initials).HasMaxLength(3);
            participant.Property(p => p.ConsentFormVersion).HasMaxLength(100);
            participant.Property(p => p.ConsentObtainedByName).HasMaxLength(200);
            participant.Property(p => p.DrugDiscontinuationReason).HasMaxLength(1000);
            participant.Property(p => p.WithdrawalReason).HasMaxLength(1000);
            participant.HasOne<Trial>().WithMany().HasForeignKey(p => p.TrialId).OnDelete(DeleteBehavior.Restrict);
            participant.HasOne<Site>().WithMany().HasForeignKey(p => p.SiteId).OnDelete(DeleteBehavior.Restrict);
            participant.HasOne<ProtocolVersion>().WithMany().HasForeignKey(p => p.ProtocolVersionId).OnDelete(DeleteBehavior.Restrict);
        });

        builder.Entity<Notification>(notification =>
        {
            notification.ToTable("Notifications");
            notification.HasKey(n => n.Id);
            notification.Property(n => n.UserId).HasMaxLength(450).IsRequired();
            notification.HasIndex(n => new { n.UserId, n.ReadAt });
            notification.Property(n => n.Subject).HasMaxLength(200).IsRequired();
            notification.Property(n => n.Body).HasMaxLength(2000).IsRequired();
            notification.Property(n => n.Link).HasMaxLength(400).IsRequired();
            notification.HasOne<ApplicationUser>().WithMany().HasForeignKey(n => n.UserId).OnDelete(DeleteBehavior.Cascade);
        });
    }

    private static void ConfigureRecords(ModelBuilder builder)
    {
        builder.Entity<EligibilityAssessment>(assessment =>
        {
            assessment.ToTable("EligibilityAssessments");
            assessment.HasKey(a => a.Id);
            assessment.HasOne<Participant>().WithMany().HasForeignKey(a => a.ParticipantId).OnDelete(DeleteBehavior.Restrict);
            assessment.HasIndex(a => a.ParticipantId);
            assessment.Property(a => a.AssessedByName).HasMaxLength(200).IsRequired();
        });

        builder.Entity<FormEntry>(entry =>
        {
            entry.ToTable("FormEntries");
            entry.HasKey(e => e.Id);
            entry.HasOne<Participant>().WithMany().HasForeignKey(e => e.ParticipantId).OnDelete(DeleteBehavior.Restrict);
            entry.HasOne<ProtocolVersion>().WithMany().HasForeignKey(e => e.ProtocolVersionId).OnDelete(DeleteBehavior.Restrict);
            // One entry of a form per visit per participant: a second save edits it, never duplicates it.
            entry.HasIndex(e => new { e.ParticipantId, e.VisitCode, e.FormCode }).IsUnique();
            entry.HasIndex(e => new { e.SiteId, e.Status });
            entry.Property(e => e.VisitCode).HasMaxLength(40).IsRequired();
            entry.Property(e => e.FormCode).HasMaxLength(40).IsRequired();
            entry.Property(e => e.Status).HasConversion<string>().HasMaxLength(16);
            entry.Property(e => e.UpdatedByName).HasMaxLength(200).IsRequired();
            entry.HasMany(e => e.Values).WithOne().HasForeignKey(v => v.FormEntryId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<FormValue>(value =>
        {
            value.ToTable("FormValues");
            value.HasKey(v => new { v.FormEntryId, v.FieldCode });
            value.Property(v => v.FieldCode).HasMaxLength(40);
            value.Property(v => v.Value).HasMaxLength(4000).IsRequired();
        });

        builder.Entity<VisitRecord>(visit =>
        {
            visit.ToTable("VisitRecords");
            visit.HasKey(v => new { v.ParticipantId, v.VisitCode });
            visit.Property(v => v.VisitCode).HasMaxLength(40);
            visit.Property(v => v.RecordedByName).HasMaxLength(200).IsRequired();
            visit.HasOne<Participant>().WithMany().HasForeignKey(v => v.ParticipantId).OnDelete(DeleteBehavior.Restrict);
        });

        builder.Entity<ProtocolDeviation>(deviation =>
        {
            deviation.ToTable("ProtocolDeviations");
            deviation.HasKey(d => d.Id);
            deviation.HasOne<Participant>().WithMany().HasForeignKey(d => d.ParticipantId).OnDelete(DeleteBehavior.Restrict);
            deviation.HasIndex(d => d.ParticipantId);
            deviation.Property(d => d.VisitCode).HasMaxLength(40).IsRequired();
            deviation.Property(d => d.Kind).HasConversion<string>().HasMaxLength(24);
            deviation.Property(d => d.Description).HasMaxLength(2000).IsRequired();
            deviation.Property(d => d.RaisedByName).HasMaxLength(200).IsRequired();
        });

        builder.Entity<DataQuery>(query =>
        {
            query.ToTable("DataQueries");
            query.HasKey(q => q.Id);
            query.HasOne<FormEntry>().WithMany().HasForeignKey(q => q.FormEntryId).OnDelete(DeleteBehavior.Restrict);
            query.HasIndex(q => q.FormEntryId);
            query.HasIndex(q => new { q.SiteId, q.Status });
            query.Property(q => q.FieldCode).HasMaxLength(40).IsRequired();
            query.Property(q => q.Status).HasConversion<string>().HasMaxLength(16);
            query.Property(q => q.Question).HasMaxLength(2000).IsRequired();
            query.Property(q => q.Answer).HasMaxLength(2000);
            query.Property(q => q.RaisedByName).HasMaxLength(200).IsRequired();
            query.Property(q => q.AnsweredByName).HasMaxLength(200);
        });

        builder.Entity<Signature>(signature =>
        {
            signature.ToTable("Signatures");
            signature.HasKey(s => s.Id);
            signature.HasOne<Participant>().WithMany().HasForeignKey(s => s.ParticipantId).OnDelete(DeleteBehavior.Restrict);
            signature.HasIndex(s => new { s.ParticipantId, s.VisitCode });
            signature.Property(s => s.VisitCode).HasMaxLength(40).IsRequired();
            signature.Property(s => s.Meaning).HasMaxLength(100).IsRequired();
            signature.Property(s => s.ContentHash).HasMaxLength(64).IsFixedLength().IsRequired();
            signature.Property(s => s.SignedByUserId).HasMaxLength(450).IsRequired();
            signature.Property(s => s.SignedByName).HasMaxLength(200).IsRequired();
            signature.HasOne<AdverseEvent>().WithMany().HasForeignKey(s => s.AdverseEventId).OnDelete(DeleteBehavior.Restrict);
            signature.HasIndex(s => s.AdverseEventId);
            signature.Property(s => s.Subject).HasConversion<string>().HasMaxLength(16);
        });

        builder.Entity<DiaryEntry>(diary =>
        {
            diary.ToTable("DiaryEntries");
            diary.HasKey(d => new { d.ParticipantId, d.StudyDay });
            diary.Property(d => d.RecordedByName).HasMaxLength(200).IsRequired();
            diary.HasOne<Participant>().WithMany().HasForeignKey(d => d.ParticipantId).OnDelete(DeleteBehavior.Restrict);
        });
    }

    private static void ConfigureSafety(ModelBuilder builder)
    {
        builder.Entity<AdverseEvent>(ae =>
        {
            ae.ToTable("AdverseEvents");
            ae.HasKey(e => e.Id);
            ae.Property(e => e.Number).HasMaxLength(40).IsRequired();
            ae.HasIndex(e => new { e.TrialId, e.Number }).IsUnique();
            ae.HasIndex(e => e.ParticipantId);
            ae.HasIndex(e => e.SiteId);
            ae.HasOne<Participant>().WithMany().HasForeignKey(e => e.ParticipantId).OnDelete(DeleteBehavior.Restrict);
            ae.HasMany(e => e.Versions).WithOne().HasForeignKey(v => v.AdverseEventId).OnDelete(DeleteBehavior.Restrict);
        });

        builder.Entity<AdverseEventVersion>(version =>
        {
            version.ToTable("AdverseEventVersions");
            version.HasKey(v => v.Id);
            version.HasIndex(v => new { v.AdverseEventId, v.Version }).IsUnique();
            version.Property(v => v.ReportedTerm).HasMaxLength(200).IsRequired();
            version.Property(v => v.CodedTerm).HasMaxLength(200);
            version.Property(v => v.Code).HasMaxLength(20);
            version.Property(v => v.SeriousnessCriteria).HasMaxLength(400).IsRequired();
            version.Property(v => v.Causality).HasConversion<string>().HasMaxLength(24);
            version.Property(v => v.ActionTaken).HasConversion<string>().HasMaxLength(24);
            version.Property(v => v.Outcome).HasConversion<string>().HasMaxLength(24);
            version.Property(v => v.SpecialInterestCode).HasMaxLength(40);
            version.Property(v => v.Narrative).HasMaxLength(4000);
            version.Property(v => v.ReportedByUserId).HasMaxLength(450).IsRequired();
            version.Property(v => v.ReportedByName).HasMaxLength(200).IsRequired();
            version.Property(v => v.FollowUpNote).HasMaxLength(2000);
        });

        builder.Entity<SafetyAssessment>(assessment =>
        {
            assessment.ToTable("SafetyAssessments");
            assessment.HasKey(a => a.Id);
            assessment.HasIndex(a => a.AdverseEventId);
            assessment.HasOne<AdverseEvent>().WithMany().HasForeignKey(a => a.AdverseEventId).OnDelete(DeleteBehavior.Restrict);
            assessment.Property(a => a.SponsorCausality).HasConversion<string>().HasMaxLength(24);
            assessment.Property(a => a.Rationale).HasMaxLength(2000).IsRequired();
            assessment.Property(a => a.AssessedByUserId).HasMaxLength(450).IsRequired();
            assessment.Property(a => a.AssessedByName).HasMaxLength(200).IsRequired();
        });

        builder.Entity<ExpeditedReport>(report =>
        {
            report.ToTable("ExpeditedReports");
            report.HasKey(r => r.Id);
            report.HasIndex(r => r.AdverseEventId);
            report.HasOne<AdverseEvent>().WithMany().HasForeignKey(r => r.AdverseEventId).OnDelete(DeleteBehavior.Restrict);
            report.Property(r => r.Reference).HasMaxLength(100).IsRequired();
            report.Property(r => r.RecordedByName).HasMaxLength(200).IsRequired();
        });

        builder.Entity<SafetyAlert>(alert =>
        {
            alert.ToTable("SafetyAlerts");
            alert.HasKey(a => a.Id);
            alert.HasIndex(a => new { a.AdverseEventId, a.ClockKey, a.Level }).IsUnique();
            alert.HasOne<AdverseEvent>().WithMany().HasForeignKey(a => a.AdverseEventId).OnDelete(DeleteBehavior.Restrict);
            alert.Property(a => a.ClockKey).HasMaxLength(40).IsRequired();
            alert.Property(a => a.Level).HasConversion<string>().HasMaxLength(16);
        });

        builder.Entity<OutboxEmail>(email =>
        {
            email.ToTable("OutboxEmails");
            email.HasKey(e => e.Id);
            email.HasIndex(e => new { e.SentAt, e.NextAttemptAt });
            email.Property(e => e.ToAddress).HasMaxLength(256).IsRequired();
            email.Property(e => e.Subject).HasMaxLength(200).IsRequired();
            email.Property(e => e.Body).HasMaxLength(4000).IsRequired();
            email.Property(e => e.LastError).HasMaxLength(1000);
        });
    }

    private static void ConfigureSupply(ModelBuilder builder)
    {
        builder.Entity<Depot>(depot =>
        {
            depot.ToTable("Depots");
            depot.HasKey(d => d.Id);
            depot.Property(d => d.Code).HasMaxLength(40).IsRequired();
            depot.HasIndex(d => d.Code).IsUnique();
            depot.Property(d => d.Name).HasMaxLength(200).IsRequired();
            depot.Property(d => d.Country).HasMaxLength(2).IsRequired();
            depot.Property(d => d.TimeZone).HasMaxLength(64).IsRequired();
        });

        builder.Entity<KitLot>(lot =>
        {
            lot.ToTable("KitLots");
            lot.HasKey(l => l.Id);
            lot.Property(l => l.Number).HasMaxLength(60).IsRequired();
            lot.HasIndex(l => new { l.TrialId, l.Number }).IsUnique();
            lot.Property(l => l.CreatedByName).HasMaxLength(200).IsRequired();
            lot.HasOne<Trial>().WithMany().HasForeignKey(l => l.TrialId).OnDelete(DeleteBehavior.Restrict);
            lot.HasOne<Depot>().WithMany().HasForeignKey(l => l.DepotId).OnDelete(DeleteBehavior.Restrict);
            lot.HasIndex(l => l.DepotId);
        });

        builder.Entity<Shipment>(shipment =>
        {
            shipment.ToTable("Shipments");
            shipment.HasKey(s => s.Id);
            shipment.Property(s => s.Status).HasConversion<string>().HasMaxLength(16);
            shipment.Property(s => s.Reason).HasConversion<string>().HasMaxLength(16);
            shipment.Property(s => s.RequestedByName).HasMaxLength(200).IsRequired();
            shipment.Property(s => s.ShippedByName).HasMaxLength(200);
            shipment.Property(s => s.ReceivedByName).HasMaxLength(200);
            shipment.Property(s => s.DecidedByName).HasMaxLength(200);
            shipment.Property(s => s.Carrier).HasMaxLength(100);
            shipment.Property(s => s.TrackingNumber).HasMaxLength(100);
            shipment.Property(s => s.ReceiptNote).HasMaxLength(2000).IsRequired();
            shipment.Property(s => s.DecisionNote).HasMaxLength(2000).IsRequired();
            shipment.Property(s => s.MinimumTemperatureC).HasPrecision(5, 1);
            shipment.Property(s => s.MaximumTemperatureC).HasPrecision(5, 1);
            // One number per site and trial: two resupply checks racing cannot both propose shipment N.
            shipment.HasIndex(s => new { s.TrialId, s.SiteId, s.Number }).IsUnique();
            shipment.HasIndex(s => new { s.TrialId, s.Status });
            shipment.HasOne<Trial>().WithMany().HasForeignKey(s => s.TrialId).OnDelete(DeleteBehavior.Restrict);
            shipment.HasOne<Site>().WithMany().HasForeignKey(s => s.SiteId).OnDelete(DeleteBehavior.Restrict);
            shipment.HasOne<Depot>().WithMany().HasForeignKey(s => s.DepotId).OnDelete(DeleteBehavior.Restrict);
            shipment.HasIndex(s => s.DepotId);
        });

        builder.Entity<ShipmentKit>(line =>
        {
            line.ToTable("ShipmentKits");
            line.HasKey(l => new { l.ShipmentId, l.KitId });
            line.Property(l => l.KitCode).HasMaxLength(16).IsRequired();
            line.HasIndex(l => new { l.ShipmentId, l.Position }).IsUnique();
            line.HasIndex(l => l.KitId);
            line.HasOne<Shipment>().WithMany().HasForeignKey(l => l.ShipmentId).OnDelete(DeleteBehavior.Restrict);
            line.HasOne<Kit>().WithMany().HasForeignKey(l => l.KitId).OnDelete(DeleteBehavior.Restrict);
        });

        builder.Entity<KitLedgerEntry>(entry =>
        {
            entry.ToTable("KitLedger");
            entry.HasKey(e => e.Sequence);
            entry.Property(e => e.Sequence).UseIdentityAlwaysColumn();
            entry.Property(e => e.Kind).HasConversion<string>().HasMaxLength(16);
            entry.Property(e => e.KitCode).HasMaxLength(16).IsRequired();
            entry.Property(e => e.ParticipantNumber).HasMaxLength(40).IsRequired();
            entry.Property(e => e.Reason).HasMaxLength(2000).IsRequired();
            entry.Property(e => e.ByUserId).HasMaxLength(450).IsRequired();
            entry.Property(e => e.ByName).HasMaxLength(200).IsRequired();
            entry.Property(e => e.Witness1UserId).HasMaxLength(450);
            entry.Property(e => e.Witness2UserId).HasMaxLength(450);
            entry.HasIndex(e => new { e.TrialId, e.SiteId, e.Sequence });
            entry.HasIndex(e => new { e.KitId, e.Sequence });
            entry.HasOne<Trial>().WithMany().HasForeignKey(e => e.TrialId).OnDelete(DeleteBehavior.Restrict);
            entry.HasOne<Site>().WithMany().HasForeignKey(e => e.SiteId).OnDelete(DeleteBehavior.Restrict);
            entry.HasOne<Kit>().WithMany().HasForeignKey(e => e.KitId).OnDelete(DeleteBehavior.Restrict);
            entry.HasOne<Participant>().WithMany().HasForeignKey(e => e.ParticipantId).OnDelete(DeleteBehavior.Restrict);
            entry.HasIndex(e => e.ParticipantId);
            entry.HasOne<Shipment>().WithMany().HasForeignKey(e => e.ShipmentId).OnDelete(DeleteBehavior.Restrict);
            entry.HasIndex(e => e.ShipmentId);
            entry.HasOne<KitDestruction>().WithMany().HasForeignKey(e => e.DestructionId).OnDelete(DeleteBehavior.Restrict);
            entry.HasIndex(e => e.DestructionId);
        });

        builder.Entity<KitDestruction>(destruction =>
        {
            destruction.ToTable("KitDestructions");
            destruction.HasKey(d => d.Id);
            destruction.Property(d => d.Status).HasConversion<string>().HasMaxLength(16);
            destruction.Property(d => d.Method).HasMaxLength(200).IsRequired();
            destruction.Property(d => d.Note).HasMaxLength(2000).IsRequired();
            destruction.Property(d => d.RecordedByUserId).HasMaxLength(450).IsRequired();
            destruction.Property(d => d.RecordedByName).HasMaxLength(200).IsRequired();
            destruction.Property(d => d.WitnessUserId).HasMaxLength(450);
            destruction.Property(d => d.WitnessName).HasMaxLength(200);
            destruction.HasIndex(d => new { d.TrialId, d.SiteId, d.Status });
            destruction.HasOne<Trial>().WithMany().HasForeignKey(d => d.TrialId).OnDelete(DeleteBehavior.Restrict);
            destruction.HasOne<Site>().WithMany().HasForeignKey(d => d.SiteId).OnDelete(DeleteBehavior.Restrict);
            destruction.HasMany(d => d.Kits).WithOne().HasForeignKey(k => k.DestructionId).OnDelete(DeleteBehavior.Restrict);
        });

        builder.Entity<KitDestructionKit>(line =>
        {
            line.ToTable("KitDestructionKits");
            line.HasKey(l => new { l.DestructionId, l.KitId });
            line.Property(l => l.KitCode).HasMaxLength(16).IsRequired();
            line.HasIndex(l => l.KitId);
            line.HasOne<Kit>().WithMany().HasForeignKey(l => l.KitId).OnDelete(DeleteBehavior.Restrict);
        });
    }

    private static void ConfigureUnblinding(ModelBuilder builder)
    {
        builder.Entity<Unblinding>(unblinding =>
        {
            unblinding.ToTable("Unblindings");
            unblinding.HasKey(u => u.Id);
            unblinding.HasIndex(u => u.ParticipantId);
            unblinding.HasOne<Participant>().WithMany().HasForeignKey(u => u.ParticipantId).OnDelete(DeleteBehavior.Restrict);
            unblinding.Property(u => u.Kind).HasConversion<string>().HasMaxLength(24);
            unblinding.Property(u => u.Reason).HasConversion<string>().HasMaxLength(24);
            unblinding.Property(u => u.Explanation).HasMaxLength(2000).IsRequired();
            unblinding.Property(u => u.RevealedByUserId).HasMaxLength(450).IsRequired();
            unblinding.Property(u => u.RevealedByName).HasMaxLength(200).IsRequired();
        });

        builder.Entity<BlindingGuessRecord>(guess =>
        {
            guess.ToTable("BlindingGuesses");
            guess.HasKey(g => g.Id);
            guess.HasIndex(g => new { g.ParticipantId, g.VisitCode, g.Respondent }).IsUnique();
            guess.HasIndex(g => g.TrialId);
            guess.HasOne<Participant>().WithMany().HasForeignKey(g => g.ParticipantId).OnDelete(DeleteBehavior.Restrict);
            guess.Property(g => g.VisitCode).HasMaxLength(40).IsRequired();
            guess.Property(g => g.Respondent).HasConversion<string>().HasMaxLength(24);
            guess.Property(g => g.GuessCode).HasMaxLength(40).IsRequired();
            guess.Property(g => g.Basis).HasMaxLength(200).IsRequired();
            guess.Property(g => g.BasisOther).HasMaxLength(500);
            guess.Property(g => g.RecordedByUserId).HasMaxLength(450).IsRequired();
            guess.Property(g => g.RecordedByName).HasMaxLength(200).IsRequired();
        });

        builder.Entity<ListAccessRequest>(request =>
        {
            request.ToTable("ListAccessRequests");
            request.HasKey(r => r.Id);
            request.HasIndex(r => r.TrialId);
            request.HasOne<Trial>().WithMany().HasForeignKey(r => r.TrialId).OnDelete(DeleteBehavior.Restrict);
            request.Property(r => r.Purpose).HasConversion<string>().HasMaxLength(16);
            request.Property(r => r.Justification).HasMaxLength(2000).IsRequired();
            request.Property(r => r.RequestedByUserId).HasMaxLength(450).IsRequired();
            request.Property(r => r.RequestedByName).HasMaxLength(200).IsRequired();
            request.Property(r => r.ApprovedByUserId).HasMaxLength(450);
            request.Property(r => r.ApprovedByName).HasMaxLength(200);
        });

        builder.Entity<DatabaseLockChange>(change =>
        {
            change.ToTable("DatabaseLockChanges");
            change.HasKey(c => c.Id);
            change.HasIndex(c => c.TrialId);
            change.HasOne<Trial>().WithMany().HasForeignKey(c => c.TrialId).OnDelete(DeleteBehavior.Restrict);
            change.Property(c => c.FromLevel).HasConversion<string>().HasMaxLength(8);
            change.Property(c => c.ToLevel).HasConversion<string>().HasMaxLength(8);
            change.Property(c => c.Reason).HasMaxLength(2000).IsRequired();
            change.Property(c => c.RequestedByUserId).HasMaxLength(450).IsRequired();
            change.Property(c => c.RequestedByName).HasMaxLength(200).IsRequired();
            change.Property(c => c.ApprovedByUserId).HasMaxLength(450);
            change.Property(c => c.ApprovedByName).HasMaxLength(200);
            change.Ignore(c => c.IsUnlock);
            change.Ignore(c => c.IsPending);
        });

        builder.Entity<ExportRecord>(export =>
        {
            export.ToTable("ExportRecords");
            export.HasKey(e => e.Id);
            export.HasIndex(e => e.TrialId);
            export.HasOne<Trial>().WithMany().HasForeignKey(e => e.TrialId).OnDelete(DeleteBehavior.Restrict);
            export.Property(e => e.Format).HasConversion<string>().HasMaxLength(8);
            export.Property(e => e.Options).HasMaxLength(200).IsRequired();
            export.Property(e => e.FileName).HasMaxLength(255).IsRequired();
            export.Property(e => e.ContentHash).HasMaxLength(64).IsFixedLength().IsRequired();
            export.Property(e => e.ExportedByUserId).HasMaxLength(450).IsRequired();
            export.Property(e => e.ExportedByName).HasMaxLength(200).IsRequired();
        });
    }
}
