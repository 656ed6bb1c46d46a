using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Domain.Safety;
using TrialManager.Domain.Supply;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Tests.Account;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Audit;

/// <summary>
/// Walks every entity type of the EF model and creates, updates and deletes one instance of each through
/// TrialDbContext, checking that each write leaves a complete audit entry: who, when, what (action, entity type, key)
/// and the field values (old and new for an update). A type added to the model without a case here fails the test.
/// </summary>
public class EveryWriteIsAuditedTests(TrialApp app) : IClassFixture<TrialApp>
{
    private const string ClientAddress = "203.0.113.7";

    /// <summary>
    /// How to write one instance of an entity type. <c>Create</c> adds a valid instance (adding any parents it needs
    /// first, saved separately) and returns it; <c>Update</c> changes one ordinary field and names it; null for a type
    /// whose columns are all key columns (a link row is created or deleted, never changed).
    /// </summary>
    private sealed record WriteCase(Func<TrialDbContext, Parents, Task<object>> Create, Func<object, string>? Update, bool Final = false);

    /// <summary>Rows the cases hang their instances on, made once per test by the real operations.</summary>
    private sealed record Parents(Guid TrialId, Guid ProtocolVersionId, Guid SiteId, Guid ListId, Guid ParticipantId, string UserId);

    private static int _counter;

    private static int Next() => Interlocked.Increment(ref _counter);

    private static readonly Dictionary<Type, WriteCase> Cases = new()
    {
        [typeof(ApplicationUser)] = new(
            (db, _) => Add(db, NewUser()),
            o => Set(o, (ApplicationUser u) => u.DisplayName = "Renamed Person", nameof(ApplicationUser.DisplayName))),
        [typeof(IdentityRole)] = new(
            (db, _) => Add(db, NewRole()),
            o => Set(o, (IdentityRole r) => r.Name = r.Name + "-renamed", nameof(IdentityRole.Name))),
        [typeof(IdentityUserRole<string>)] = new(
            async (db, _) =>
            {
                var user = await SaveAsync(db, NewUser());
                var role = await SaveAsync(db, NewRole());
                return await Add(db, new IdentityUserRole<string> { UserId = user.Id, RoleId = role.Id });
            },
            null),
        [typeof(IdentityUserClaim<string>)] = new(
            (db, p) => Add(db, new IdentityUserClaim<string> { UserId = p.UserId, ClaimType = "audit-test", ClaimValue = "one" }),
            o => Set(o, (IdentityUserClaim<string> c) => c.ClaimValue = "two", nameof(IdentityUserClaim<string>.ClaimValue))),
        [typeof(IdentityRoleClaim<string>)] = new(
            async (db, _) =>
            {
                var role = await SaveAsync(db, NewRole());
                return await Add(db, new IdentityRoleClaim<string> { RoleId = role.Id, ClaimType = "audit-test", ClaimValue = "one" });
            },
            o => Set(o, (IdentityRoleClaim<string> c) => c.ClaimValue = "two", nameof(IdentityRoleClaim<string>.ClaimValue))),
        [typeof(IdentityUserLogin<string>)] = new(
            (db, p) => Add(db, new IdentityUserLogin<string> { UserId = p.UserId, LoginProvider = "test", ProviderKey = $"key-{Next()}", ProviderDisplayName = "Test" }),
            o => Set(o, (IdentityUserLogin<string> l) => l.ProviderDisplayName = "Test renamed", nameof(IdentityUserLogin<string>.ProviderDisplayName))),
        [typeof(IdentityUserToken<string>)] = new(
            (db, p) => Add(db, new IdentityUserToken<string> { UserId = p.UserId, LoginProvider = "test", Name = $"token-{Next()}", Value = "first secret" }),
            // A secret: the change is recorded, its values never are.
            o => Set(o, (IdentityUserToken<string> t) => t.Value = "second secret", nameof(IdentityUserToken<string>.Value))),
        [typeof(Site)] = new(
            (db, _) => Add(db, new Site { Code = $"AUD{Next()}", Name = "Audit Test Site", Country = "GB", TimeZone = "Europe/London" }),
            o => Set(o, (Site s) => s.Name = "Audit Test Site renamed", nameof(Site.Name))),
        [typeof(SiteMembership)] = new(
            async (db, p) =>
            {
                var user = await SaveAsync(db, NewUser());
                return await Add(db, new SiteMembership { UserId = user.Id, SiteId = p.SiteId });
            },
            null),
        [typeof(Trial)] = new(
            (db, _) => Add(db, NewTrial()),
            o => Set(o, (Trial t) => t.Title = "Renamed trial", nameof(Trial.Title))),
        [typeof(ProtocolVersion)] = new(
            async (db, _) =>
            {
                var trial = await SaveAsync(db, NewTrial());
                return await Add(db, NewProtocolVersion(trial.Id));
            },
            o => Set(o, (ProtocolVersion v) => v.FileName = "renamed.yaml", nameof(ProtocolVersion.FileName))),
        [typeof(TrialSite)] = new(
            async (db, p) =>
            {
                var trial = await SaveAsync(db, NewTrial());
                return await Add(db, new TrialSite { TrialId = trial.Id, SiteId = p.SiteId });
            },
            null),
        [typeof(TrialKey)] = new(
            async (db, _) =>
            {
                var trial = await SaveAsync(db, NewTrial());
                return await Add(db, new TrialKey { TrialId = trial.Id, MasterKeyId = "k1", WrappedKey = [1, 2, 3, 4] });
            },
            o => Set(o, (TrialKey k) => k.MasterKeyId = "k2", nameof(TrialKey.MasterKeyId))),
        [typeof(SealedRandomizationList)] = new(
            async (db, _) =>
            {
                var trial = await SaveAsync(db, NewTrial());
                var version = await SaveAsync(db, NewProtocolVersion(trial.Id));
                return await Add(db, new SealedRandomizationList
                {
                    TrialId = trial.Id,
                    ProtocolVersionId = version.Id,
                    Commitment = new string('c', 64),
                    SealedSeed = [1],
                    SealedSalt = [2],
                    StrataCount = 1,
                    SlotsPerStratum = 4,
                    CreatedAt = DateTimeOffset.UtcNow,
                    CreatedBy = "test",
                });
            },
            o => Set(o, (SealedRandomizationList l) => l.StrataCount = 2, nameof(SealedRandomizationList.StrataCount))),
        [typeof(RandomizationSlot)] = new(
            (db, p) => Add(db, new RandomizationSlot { ListId = p.ListId, TrialId = p.TrialId, StratumKey = "audit-test", Number = 1000 + Next(), SealedArm = [9, 9] }),
            o => Set(o, (RandomizationSlot s) => s.AssignedAt = DateTimeOffset.UtcNow, nameof(RandomizationSlot.AssignedAt))),
        [typeof(StratumCursor)] = new(
            (db, p) => Add(db, new StratumCursor { ListId = p.ListId, StratumKey = $"audit-test-{Next()}" }),
            o => Set(o, (StratumCursor c) => c.NextNumber = 7, nameof(StratumCursor.NextNumber))),
        [typeof(Kit)] = new(
            (db, p) => Add(db, NewKit(p)),
            o => Set(o, (Kit k) => k.State = KitState.Quarantined, nameof(Kit.State))),
        [typeof(Dispensing)] = new(
            async (db, p) =>
            {
                var kit = await SaveAsync(db, NewKit(p));
                return await Add(db, new Dispensing
                {
                    TrialId = p.TrialId,
                    SiteId = p.SiteId,
                    ParticipantId = p.ParticipantId,
                    KitId = kit.Id,
                    KitCode = kit.Code,
                    Kind = DispensingKind.Visit,
                    VisitCode = "W3",
                    At = DateTimeOffset.UtcNow,
                    ByUserId = p.UserId,
                    ByName = "Test",
                });
            },
            o => Set(o, (Dispensing d) => d.VisitCode = "W6", nameof(Dispensing.VisitCode))),
        [typeof(Depot)] = new(
            (db, _) => Add(db, new Depot { Code = $"AUDD{Next()}", Name = "Audit Test Depot", Country = "NL", TimeZone = "Europe/Amsterdam" }),
            o => Set(o, (Depot d) => d.Name = "Audit Test Depot renamed", nameof(Depot.Name))),
        [typeof(KitLot)] = new(
            (db, p) => Add(db, new KitLot { TrialId = p.TrialId, Number = $"AUD-L{Next():D4}", ExpiresOn = new DateOnly(2030, 1, 1), KitCount = 4, CreatedAt = DateTimeOffset.UtcNow, CreatedByName = "Test" }),
            o => Set(o, (KitLot l) => l.KitCount = 6, nameof(KitLot.KitCount))),
        [typeof(Shipment)] = new(
            (db, p) => Add(db, NewShipment(p)),
            o => Set(o, (Shipment s) => s.Status = ShipmentStatus.Shipped, nameof(Shipment.Status))),
        [typeof(ShipmentKit)] = new(
            async (db, p) =>
            {
                var shipment = await SaveAsync(db, NewShipment(p));
                var kit = await SaveAsync(db, NewKit(p));
                return await Add(db, new ShipmentKit { ShipmentId = shipment.Id, KitId = kit.Id, KitCode = kit.Code, Position = 1, TrialId = p.TrialId, SiteId = p.SiteId });
            },
            o => Set(o, (ShipmentKit k) => k.Position = 2, nameof(ShipmentKit.Position))),
        [typeof(KitLedgerEntry)] = new(
            async (db, p) =>
            {
                var kit = await SaveAsync(db, NewKit(p));
                return await Add(db, new KitLedgerEntry
                {
                    TrialId = p.TrialId,
                    SiteId = p.SiteId,
                    KitId = kit.Id,
                    KitCode = kit.Code,
                    Kind = KitEventKind.Received,
                    Units = 4,
                    Reason = "Test",
                    At = DateTimeOffset.UtcNow,
                    ByUserId = "u",
                    ByName = "Test",
                });
            },
            // The accountability log is append-only: a trigger refuses to change or remove a line.
            o => Set(o, (KitLedgerEntry e) => e.Units = 3, nameof(KitLedgerEntry.Units)),
            Final: true),
        [typeof(KitDestruction)] = new(
            (db, p) => Add(db, NewDestruction(p)),
            o => Set(o, (KitDestruction d) => d.Note = "Corrected note", nameof(KitDestruction.Note))),
        [typeof(KitDestructionKit)] = new(
            async (db, p) =>
            {
                var destruction = await SaveAsync(db, NewDestruction(p));
                var kit = await SaveAsync(db, NewKit(p));
                return await Add(db, new KitDestructionKit { DestructionId = destruction.Id, KitId = kit.Id, KitCode = kit.Code, Units = 4, TrialId = p.TrialId, SiteId = p.SiteId });
            },
            o => Set(o, (KitDestructionKit k) => k.Units = 3, nameof(KitDestructionKit.Units))),
        [typeof(TrialCounter)] = new(
            (db, p) => Add(db, new TrialCounter { TrialId = p.TrialId, Name = $"audit-test-{Next()}", Value = 1 }),
            o => Set(o, (TrialCounter c) => c.Value = 2, nameof(TrialCounter.Value))),
        [typeof(Participant)] = new(
            (db, p) => Add(db, NewParticipant(p)),
            o => Set(o, (Participant x) => x.Status = ParticipantStatus.Withdrawn, nameof(Participant.Status))),
        [typeof(Notification)] = new(
            (db, p) => Add(db, new Notification { UserId = p.UserId, Subject = "Test", Body = "Body", Link = "/", CreatedAt = DateTimeOffset.UtcNow }),
            o => Set(o, (Notification n) => n.ReadAt = DateTimeOffset.UtcNow, nameof(Notification.ReadAt))),
        [typeof(EligibilityAssessment)] = new(
            (db, p) => Add(db, new EligibilityAssessment
            {
                TrialId = p.TrialId,
                SiteId = p.SiteId,
                ParticipantId = p.ParticipantId,
                ProtocolVersionId = p.ProtocolVersionId,
                Eligible = true,
                AssessedAt = DateTimeOffset.UtcNow,
                AssessedByName = "Test",
            }),
            o => Set(o, (EligibilityAssessment a) => a.Eligible = false, nameof(EligibilityAssessment.Eligible))),
        [typeof(FormEntry)] = new(
            async (db, p) => await Add(db, await NewFormEntry(db, p, save: false)),
            o => Set(o, (FormEntry f) => f.Status = FormStatus.Complete, nameof(FormEntry.Status))),
        [typeof(FormValue)] = new(
            async (db, p) =>
            {
                var form = await NewFormEntry(db, p, save: true);
                return await Add(db, new FormValue { FormEntryId = form.Id, FieldCode = "weight", Value = "70", SiteId = p.SiteId, ParticipantId = p.ParticipantId });
            },
            o => Set(o, (FormValue v) => v.Value = "71", nameof(FormValue.Value))),
        [typeof(VisitRecord)] = new(
            (db, p) => Add(db, new VisitRecord { ParticipantId = p.ParticipantId, VisitCode = $"V{Next()}", SiteId = p.SiteId, DoneOn = new DateOnly(2026, 11, 2), RecordedAt = DateTimeOffset.UtcNow, RecordedByName = "Test" }),
            o => Set(o, (VisitRecord v) => v.Missed = true, nameof(VisitRecord.Missed))),
        [typeof(ProtocolDeviation)] = new(
            (db, p) => Add(db, new ProtocolDeviation
            {
                TrialId = p.TrialId,
                SiteId = p.SiteId,
                ParticipantId = p.ParticipantId,
                VisitCode = "W3",
                Kind = DeviationKind.Reported,
                Description = "Test deviation",
                RaisedAt = DateTimeOffset.UtcNow,
                RaisedByName = "Test",
            }),
            o => Set(o, (ProtocolDeviation d) => d.Description = "Corrected description", nameof(ProtocolDeviation.Description))),
        [typeof(DataQuery)] = new(
            async (db, p) =>
            {
                var form = await NewFormEntry(db, p, save: true);
                return await Add(db, new DataQuery
                {
                    FormEntryId = form.Id,
                    SiteId = p.SiteId,
                    ParticipantId = p.ParticipantId,
                    FieldCode = "weight",
                    Status = QueryStatus.Open,
                    Question = "Is 70 right?",
                    RaisedAt = DateTimeOffset.UtcNow,
                    RaisedByName = "Test",
                });
            },
            o => Set(o, (DataQuery q) => q.Answer = "Yes", nameof(DataQuery.Answer))),
        [typeof(AdverseEvent)] = new(
            (db, p) => Add(db, NewAdverseEvent(p)),
            o => Set(o, (AdverseEvent e) => e.CurrentVersion = 2, nameof(AdverseEvent.CurrentVersion))),
        [typeof(AdverseEventVersion)] = new(
            async (db, p) =>
            {
                var ae = NewAdverseEvent(p);
                db.Add(ae);
                await db.SaveChangesAsync();
                return await Add(db, new AdverseEventVersion
                {
                    AdverseEventId = ae.Id,
                    TrialId = p.TrialId,
                    SiteId = p.SiteId,
                    ParticipantId = p.ParticipantId,
                    Version = 1,
                    ReportedTerm = "Headache",
                    Onset = new DateOnly(2026, 11, 1),
                    Grade = 1,
                    Causality = Causality.PossiblyRelated,
                    ActionTaken = ActionTaken.DoseNotChanged,
                    Outcome = EventOutcome.Recovering,
                    SiteAwareAt = DateTimeOffset.UtcNow,
                    ReceivedAt = DateTimeOffset.UtcNow,
                    ReportedByUserId = "u",
                    ReportedByName = "Test",
                });
            },
            o => Set(o, (AdverseEventVersion v) => v.Grade = 2, nameof(AdverseEventVersion.Grade)),
            Final: true),
        [typeof(SafetyAssessment)] = new(
            async (db, p) =>
            {
                var ae = NewAdverseEvent(p);
                db.Add(ae);
                await db.SaveChangesAsync();
                return await Add(db, new SafetyAssessment
                {
                    AdverseEventId = ae.Id,
                    TrialId = p.TrialId,
                    SiteId = p.SiteId,
                    ParticipantId = p.ParticipantId,
                    AssessedVersion = 1,
                    SponsorCausality = Causality.NotRelated,
                    Rationale = "Test",
                    AssessedAt = DateTimeOffset.UtcNow,
                    AssessedByUserId = "u",
                    AssessedByName = "Test",
                });
            },
            o => Set(o, (SafetyAssessment a) => a.Rationale = "Corrected", nameof(SafetyAssessment.Rationale))),
        [typeof(ExpeditedReport)] = new(
            async (db, p) =>
            {
                var ae = NewAdverseEvent(p);
                db.Add(ae);
                await db.SaveChangesAsync();
                return await Add(db, new ExpeditedReport
                {
                    AdverseEventId = ae.Id,
                    TrialId = p.TrialId,
                    SiteId = p.SiteId,
                    ParticipantId = p.ParticipantId,
                    CoversVersion = 1,
                    SubmittedAt = DateTimeOffset.UtcNow,
                    Reference = "EV-1",
                    RecordedByName = "Test",
                    RecordedAt = DateTimeOffset.UtcNow,
                });
            },
            o => Set(o, (ExpeditedReport r) => r.Reference = "EV-2", nameof(ExpeditedReport.Reference))),
        [typeof(SafetyAlert)] = new(
            async (db, p) =>
            {
                var ae = NewAdverseEvent(p);
                db.Add(ae);
                await db.SaveChangesAsync();
                return await Add(db, new SafetyAlert
                {
                    AdverseEventId = ae.Id,
                    TrialId = p.TrialId,
                    SiteId = p.SiteId,
                    ParticipantId = p.ParticipantId,
                    ClockKey = "ExpeditedInitial:1",
                    Level = AlertLevel.DueSoon,
                    RaisedAt = DateTimeOffset.UtcNow,
                });
            },
            o => Set(o, (SafetyAlert a) => a.Level = AlertLevel.Overdue, nameof(SafetyAlert.Level))),
        [typeof(OutboxEmail)] = new(
            (db, p) => Add(db, new OutboxEmail { ToAddress = "a@example.org", Subject = "Test", Body = "Body", CreatedAt = DateTimeOffset.UtcNow, NextAttemptAt = DateTimeOffset.UtcNow }),
            o => Set(o, (OutboxEmail e) => e.Attempts = 1, nameof(OutboxEmail.Attempts))),
        [typeof(Unblinding)] = new(
            (db, p) => Add(db, new Unblinding
            {
                TrialId = p.TrialId,
                SiteId = p.SiteId,
                ParticipantId = p.ParticipantId,
                Kind = UnblindingKind.Vault,
                Reason = UnblindingReason.SusarAssessment,
                Explanation = "Test",
                RevealedByUserId = "u",
                RevealedByName = "Test",
                RevealedAt = DateTimeOffset.UtcNow,
            }),
            o => Set(o, (Unblinding u) => u.Explanation = "Corrected", nameof(Unblinding.Explanation))),
        [typeof(ListAccessRequest)] = new(
            (db, p) => Add(db, new ListAccessRequest
            {
                TrialId = p.TrialId,
                Purpose = ListAccessPurpose.View,
                Justification = "Test",
                RequestedByUserId = "u",
                RequestedByName = "Test",
                RequestedAt = DateTimeOffset.UtcNow,
            }),
            o => Set(o, (ListAccessRequest r) => r.ApprovedByName = "Second", nameof(ListAccessRequest.ApprovedByName))),
        [typeof(DatabaseLockChange)] = new(
            (db, p) => Add(db, new DatabaseLockChange
            {
                TrialId = p.TrialId,
                FromLevel = TrialLockLevel.Soft,
                ToLevel = TrialLockLevel.Open,
                Reason = "A correction from a site",
                RequestedByUserId = "u",
                RequestedByName = "Test",
                RequestedAt = DateTimeOffset.UtcNow,
            }),
            o => Set(o, (DatabaseLockChange c) => c.WithdrawnAt = DateTimeOffset.UtcNow, nameof(DatabaseLockChange.WithdrawnAt))),
        [typeof(ExportRecord)] = new(
            (db, p) => Add(db, new ExportRecord
            {
                TrialId = p.TrialId,
                Format = ExportFormat.Csv,
                FileName = "T_csv_blinded_x.zip",
                ContentHash = new string('e', 64),
                Bytes = 10,
                Participants = 1,
                ExportedByUserId = "u",
                ExportedByName = "Test",
                ExportedAt = DateTimeOffset.UtcNow,
            }),
            o => Set(o, (ExportRecord r) => r.Bytes = 11, nameof(ExportRecord.Bytes)),
            Final: true),
        [typeof(BlindingGuessRecord)] = new(
            (db, p) => Add(db, new BlindingGuessRecord
            {
                TrialId = p.TrialId,
                SiteId = p.SiteId,
                ParticipantId = p.ParticipantId,
                VisitCode = "W3",
                Respondent = Domain.Protocols.BlindingRespondent.Participant,
                GuessCode = "unsure",
                Confidence = 10,
                RecordedByUserId = "u",
                RecordedByName = "Test",
                RecordedAt = DateTimeOffset.UtcNow,
            }),
            o => Set(o, (BlindingGuessRecord g) => g.Confidence = 60, nameof(BlindingGuessRecord.Confidence))),
        [typeof(Signature)] = new(
            (db, p) => Add(db, new Signature { TrialId = p.TrialId, SiteId = p.SiteId, ParticipantId = p.ParticipantId, VisitCode = "W1", Meaning = "Authored", ContentHash = new string('a', 64), SignedByUserId = "u", SignedByName = "Test", SignedAt = DateTimeOffset.UtcNow }),
            o => Set(o, (Signature s) => s.Meaning = "Reviewed and approved", nameof(Signature.Meaning))),
        [typeof(DiaryEntry)] = new(
            (db, p) => Add(db, new DiaryEntry { ParticipantId = p.ParticipantId, StudyDay = Next(), SiteId = p.SiteId, TookDose = true, RecordedAt = DateTimeOffset.UtcNow, RecordedByName = "Test" }),
            o => Set(o, (DiaryEntry d) => d.TookDose = false, nameof(DiaryEntry.TookDose))),
    };

    /// <summary>Types whose rows are not written through the change tracker's audit (with why).</summary>
    private static readonly Dictionary<Type, string> NotCovered = new()
    {
        [typeof(AuditEntry)] = "the audit trail itself: append-only, tested by AuditProtectionTests",
    };

    [Fact]
    public void Every_entity_type_of_the_model_has_a_write_case()
    {
        using var scope = app.Services.CreateScope();
        var model = scope.ServiceProvider.GetRequiredService<TrialDbContext>().Model;
        var missing = model.GetEntityTypes()
            .Where(t => !t.IsOwned())
            .Select(t => t.ClrType)
            .Where(t => !Cases.ContainsKey(t) && !NotCovered.ContainsKey(t))
            .Select(t => t.Name)
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(
            missing.Count == 0,
            $"Entity types without a write case in {nameof(EveryWriteIsAuditedTests)}: {string.Join(", ", missing)}. " +
            "Add a WriteCase for each to Cases (how to create a valid instance, which field to update), so the test proves its " +
            "creates, updates and deletes are audited. If the type belongs to a site, trial or participant, implement IAuditScoped on it.");
        var stale = Cases.Keys.Concat(NotCovered.Keys).Where(t => model.FindEntityType(t) is null).Select(t => t.Name).ToList();
        Assert.True(stale.Count == 0, $"Write cases for types no longer in the model: {string.Join(", ", stale)}. Remove them.");
    }

    public static TheoryData<string> CaseNames => [.. Cases.Keys.Select(TypeName)];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Create_update_and_delete_each_leave_a_complete_audit_entry(string typeName)
    {
        var (type, write) = Cases.Single(c => TypeName(c.Key) == typeName);
        var parents = await ParentsAsync();
        var adminId = await app.UserIdAsync("admin");

        await app.AsUserAsync("admin", async services =>
        {
            services.GetRequiredService<IHttpContextAccessor>().HttpContext!.Connection.RemoteIpAddress = IPAddress.Parse(ClientAddress);
            var db = services.GetRequiredService<TrialDbContext>();
            var clrName = db.Model.FindEntityType(type)!.ClrType.Name;
            var instance = await write.Create(db, parents);
            var since = await LastSeqAsync();
            await db.SaveChangesAsync();
            var key = KeyOf(db, instance);
            var created = await EntryAsync(since, "Create", clrName, key);
            AssertWho(created, adminId);
            var createdChanges = Changes(created);
            foreach (var property in db.Entry(instance).Properties)
            {
                var change = Assert.Single(createdChanges, c => c.Field == property.Metadata.Name);
                Assert.Null(change.Old);
                Assert.Equal(property.CurrentValue is null, change.New is null);
            }

            if (write.Final)
            {
                // A final record (a submitted report version): the database refuses to change or remove it, and the
                // refused attempt leaves nothing in the audit trail either.
                since = await LastSeqAsync();
                write.Update!(instance);
                await Assert.ThrowsAnyAsync<DbUpdateException>(() => db.SaveChangesAsync());
                db.ChangeTracker.Clear();
                db.Attach(instance);
                db.Remove(instance);
                await Assert.ThrowsAnyAsync<DbUpdateException>(() => db.SaveChangesAsync());
                Assert.Equal(since, await LastSeqAsync());
                return true;
            }

            if (write.Update is not null)
            {
                since = await LastSeqAsync();
                var field = write.Update(instance);
                await db.SaveChangesAsync();
                var updated = await EntryAsync(since, "Update", clrName, key);
                AssertWho(updated, adminId);
                var change = Assert.Single(Changes(updated), c => c.Field == field);
                Assert.NotNull(change.New);
                Assert.True(change.Old != change.New || change.Old is "[secret]" or "[sealed]", $"{clrName}.{field}: {change.Old} -> {change.New}");
            }

            since = await LastSeqAsync();
            db.Remove(instance);
            await db.SaveChangesAsync();
            var deleted = await EntryAsync(since, "Delete", clrName, key);
            AssertWho(deleted, adminId);
            Assert.All(Changes(deleted), c => Assert.Null(c.New));
            Assert.Contains(Changes(deleted), c => c.Old is not null);
            return true;
        });
    }

    [Fact]
    public async Task Secrets_and_sealed_values_appear_only_masked()
    {
        var parents = await ParentsAsync();
        await app.AsUserAsync("admin", async services =>
        {
            var db = services.GetRequiredService<TrialDbContext>();
            var since = await LastSeqAsync();
            var token = new IdentityUserToken<string> { UserId = parents.UserId, LoginProvider = "test", Name = "masked", Value = "plain-token-value" };
            db.Add(token);
            db.Add(new TrialKey { TrialId = (await SaveAsync(db, NewTrial())).Id, MasterKeyId = "k", WrappedKey = [42, 42, 42] });
            await db.SaveChangesAsync();
            token.Value = "another-token-value";
            await db.SaveChangesAsync();
            var texts = await app.WithDbAsync(d => d.AuditTrail.Where(e => e.ChainSeq > since).Select(e => e.Changes).ToListAsync());
            Assert.DoesNotContain(texts, t => t.Contains("token-value", StringComparison.Ordinal));
            Assert.Contains(texts, t => t.Contains("\"Field\":\"WrappedKey\",\"Old\":null,\"New\":\"[sealed]\"", StringComparison.Ordinal));
            Assert.Contains(texts, t => t.Contains("\"Field\":\"Value\",\"Old\":\"[secret]\",\"New\":\"[secret]\"", StringComparison.Ordinal));
            return true;
        });
    }

    private static string TypeName(Type type) => type.IsGenericType ? $"{type.Name.Split('`')[0]}<{string.Join(",", type.GetGenericArguments().Select(a => a.Name))}>" : type.Name;

    private static void AssertWho(AuditEntry entry, string adminId)
    {
        Assert.Equal(adminId, entry.UserId);
        Assert.False(string.IsNullOrWhiteSpace(entry.UserName));
        Assert.Contains("Administrator", entry.Roles, StringComparison.Ordinal);
        Assert.Equal(ClientAddress, entry.IpAddress);
        Assert.InRange(entry.OccurredAt, DateTimeOffset.UtcNow.AddMinutes(-2), DateTimeOffset.UtcNow.AddMinutes(2));
        Assert.Equal(64, entry.Hash.Length);
    }

    private async Task<long> LastSeqAsync() => await app.WithDbAsync(db => db.AuditTrail.MaxAsync(e => (long?)e.ChainSeq)) ?? 0;

    private async Task<AuditEntry> EntryAsync(long since, string action, string entityType, string key)
    {
        var entries = await app.WithDbAsync(db => db.AuditTrail.AsNoTracking().Where(e => e.ChainSeq > since && e.Action == action && e.EntityType == entityType).ToListAsync());
        Assert.True(entries.Count > 0, $"No {action} entry for {entityType}.");
        return Assert.Single(entries, e => e.EntityId == key);
    }

    private sealed record Change(string Field, string? Old, string? New);

    private static List<Change> Changes(AuditEntry entry) => JsonSerializer.Deserialize<List<Change>>(entry.Changes)!;

    private static string KeyOf(TrialDbContext db, object instance)
    {
        var entry = db.Entry(instance);
        return string.Join("/", entry.Metadata.FindPrimaryKey()!.Properties.Select(p => Convert.ToString(entry.Property(p.Name).CurrentValue, System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static readonly SemaphoreSlim Once = new(1, 1);
    private static Parents? _parents;

    private async Task<Parents> ParentsAsync()
    {
        await Once.WaitAsync();
        try
        {
            if (_parents is null)
            {
                var trial = await RandomizationTrial.CreateAsync(app, "AUDIT-WRITES", kitsPerSite: 4, slotsPerStratum: 8);
                var participant = (await trial.AddEligibleParticipantsAsync(app, "LON", 1))[0];
                _parents = await app.WithDbAsync(async db => new Parents(
                    trial.TrialId,
                    await db.ProtocolVersions.Where(v => v.TrialId == trial.TrialId).Select(v => v.Id).SingleAsync(),
                    await db.Sites.Where(s => s.Code == "LON").Select(s => s.Id).SingleAsync(),
                    await db.RandomizationLists.Where(l => l.TrialId == trial.TrialId).Select(l => l.Id).SingleAsync(),
                    participant,
                    await db.Users.Where(u => u.Email == app.Account("coordinator").Email).Select(u => u.Id).SingleAsync()));
            }

            return _parents;
        }
        finally
        {
            Once.Release();
        }
    }

    private static Task<object> Add<T>(TrialDbContext db, T instance)
        where T : class
    {
        db.Add(instance);
        return Task.FromResult<object>(instance);
    }

    private static async Task<T> SaveAsync<T>(TrialDbContext db, T instance)
        where T : class
    {
        db.Add(instance);
        await db.SaveChangesAsync();
        return instance;
    }

    private static string Set<T>(object instance, Action<T> change, string field)
    {
        change((T)instance);
        return field;
    }

    private static ApplicationUser NewUser()
    {
        var n = Next();
        var email = $"audit.write.{n}.{Guid.NewGuid():N}@example.org";
        return new ApplicationUser
        {
            UserName = email,
            NormalizedUserName = email.ToUpperInvariant(),
            Email = email,
            NormalizedEmail = email.ToUpperInvariant(),
            DisplayName = $"Audit Writer {n}",
            SecurityStamp = Guid.NewGuid().ToString(),
            CreatedAt = DateTimeOffset.UtcNow,
        };
    }

    private static IdentityRole NewRole()
    {
        var name = $"AuditTestRole{Next()}";
        return new IdentityRole(name) { NormalizedName = name.ToUpperInvariant() };
    }

    private static Trial NewTrial() => new() { Code = $"AUDIT-T{Next()}", Title = "Audit test trial", CreatedAt = DateTimeOffset.UtcNow };

    private static ProtocolVersion NewProtocolVersion(Guid trialId) => new()
    {
        TrialId = trialId,
        Sequence = 1,
        Version = "1.0",
        ContentHash = new string('a', 64),
        FileName = "audit.yaml",
        SealedSourceText = [1, 2, 3],
        ImportedAt = DateTimeOffset.UtcNow,
        ImportedBy = "test",
        ImportedByName = "Test",
    };

    private static Kit NewKit(Parents p) => new()
    {
        TrialId = p.TrialId,
        Code = $"AUD-{Next():D6}",
        SealedArm = [7, 7, 7],
        SiteId = p.SiteId,
        State = KitState.AtSite,
        ExpiresOn = new DateOnly(2030, 1, 1),
        Units = 4,
    };

    private static Shipment NewShipment(Parents p) => new()
    {
        TrialId = p.TrialId,
        SiteId = p.SiteId,
        Number = 1000 + Next(),
        Status = ShipmentStatus.Requested,
        Reason = ShipmentReason.Manual,
        KitCount = 1,
        RequestedAt = DateTimeOffset.UtcNow,
        RequestedByName = "Test",
    };

    private static KitDestruction NewDestruction(Parents p) => new()
    {
        TrialId = p.TrialId,
        SiteId = p.SiteId,
        Status = DestructionStatus.AwaitingWitness,
        Method = "Incineration",
        Note = "Test",
        RecordedAt = DateTimeOffset.UtcNow,
        RecordedByUserId = "u",
        RecordedByName = "Test",
    };

    private static Participant NewParticipant(Parents p) => new()
    {
        TrialId = p.TrialId,
        SiteId = p.SiteId,
        Number = $"AUD-{Next():D4}",
        YearOfBirth = 1980,
        Sex = "F",
        ProtocolVersionId = p.ProtocolVersionId,
        Status = ParticipantStatus.Registered,
        StratumLevels = "baseline_severity=moderate",
        CreatedAt = DateTimeOffset.UtcNow,
    };

    private static AdverseEvent NewAdverseEvent(Parents p) => new()
    {
        TrialId = p.TrialId,
        SiteId = p.SiteId,
        ParticipantId = p.ParticipantId,
        Number = "AE-" + Guid.NewGuid().ToString("N")[..12],
        CurrentVersion = 1,
        CreatedAt = DateTimeOffset.UtcNow,
    };

    private static async Task<FormEntry> NewFormEntry(TrialDbContext db, Parents p, bool save)
    {
        var form = new FormEntry
        {
            TrialId = p.TrialId,
            SiteId = p.SiteId,
            ParticipantId = p.ParticipantId,
            ProtocolVersionId = p.ProtocolVersionId,
            VisitCode = $"V{Next()}",
            FormCode = "vitals",
            Status = FormStatus.Draft,
            UpdatedAt = DateTimeOffset.UtcNow,
            UpdatedByName = "Test",
        };
        return save ? await SaveAsync(db, form) : form;
    }
}
