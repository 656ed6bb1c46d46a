using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Participants;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Features.Signatures;
using TrialManager.Web.Features.Unblinding;

namespace TrialManager.Web.Features.Exports;

/// <summary>What an export includes beyond the clinical data.</summary>
/// <param name="Unblinded">Each participant's arm; the caller has checked that the trial is finally unblinded and the person may have it.</param>
public sealed record ExportScope(bool Audit = false, bool Signatures = false, bool Unblinded = false)
{
    /// <summary>The options as recorded with the file, e.g. "audit,signatures"; empty when none.</summary>
    public string Options => string.Join(",", new[] { Audit ? "audit" : null, Signatures ? "signatures" : null }.OfType<string>());
}

/// <summary>
/// Reads a whole trial for export in one pass, a query per kind of record (never per participant), after the caller's
/// access check. It opens arms only when asked for an unblinded snapshot, and then through <see cref="Allocations"/>.
/// </summary>
public sealed class ExportReader(TrialDbContext db, TrialProtocols protocols, Allocations allocations, SignCasebook signOff, TimeProvider clock)
{
    public async Task<ExportSnapshot> ReadAsync(Guid trialId, ExportScope scope, string exportedByName, CancellationToken cancellationToken = default)
    {
        var trial = await db.Trials.AsNoTracking().SingleAsync(t => t.Id == trialId, cancellationToken);
        var versionRows = await db.ProtocolVersions.AsNoTracking().Where(v => v.TrialId == trialId).OrderBy(v => v.Sequence)
            .Select(v => new { v.Id, v.Sequence, v.Version, v.ContentHash, v.ImportedAt }).ToListAsync(cancellationToken);
        var versions = new List<ExportProtocolVersion>();
        foreach (var v in versionRows)
        {
            versions.Add(new ExportProtocolVersion(v.Id, v.Sequence, v.Version, v.ContentHash, v.ImportedAt, await protocols.ForVersionAsync(v.Id, cancellationToken)));
        }

        var sequenceOf = versions.ToDictionary(v => v.Id, v => v.Sequence);
        var current = versions[^1].Protocol;
        var sites = await db.TrialSites.AsNoTracking().Where(ts => ts.TrialId == trialId).Join(db.Sites, ts => ts.SiteId, s => s.Id, (_, s) => s)
            .OrderBy(s => s.Code).ToListAsync(cancellationToken);
        var siteById = sites.ToDictionary(s => s.Id);
        var zones = sites.ToDictionary(s => s.Id, s => TimeZoneInfo.FindSystemTimeZoneById(s.TimeZone));

        var people = await db.Participants.AsNoTracking().Where(p => p.TrialId == trialId).OrderBy(p => p.Number).ToListAsync(cancellationToken);
        var zoneOf = people.ToDictionary(p => p.Id, p => zones[p.SiteId]);
        DateOnly? RandomizedOn(Participant p) => p.RandomizedAt is { } at ? SiteCalendar.LocalDate(at, zoneOf[p.Id]) : null;
        var participants = people.Select(p => new ExportParticipant(
            p.Id, p.Number, siteById[p.SiteId].Code, sequenceOf[p.ProtocolVersionId], p.Status, p.YearOfBirth, p.Sex, p.ConsentedOn, p.StratumLevels,
            p.RandomizationNumber, p.RandomizedAt, RandomizedOn(p), p.DrugDiscontinuedOn, p.WithdrawnOn, p.WithdrawalReason)).ToList();
        var exported = participants.ToDictionary(p => p.Id);

        var visitRecords = await db.VisitRecords.AsNoTracking().Where(v => db.Participants.Any(p => p.Id == v.ParticipantId && p.TrialId == trialId))
            .ToListAsync(cancellationToken);
        var visits = visitRecords
            .Select(v =>
            {
                var p = exported[v.ParticipantId];
                int? day = v.DoneOn is { } done && p.RandomizedOn is { } from ? VisitSchedule.StudyDay(from, done) : null;
                bool? inWindow = day is { } d && current.FindVisit(v.VisitCode) is { } visit ? visit.IsInWindow(d) : null;
                return new ExportVisit(v.ParticipantId, p.Number, p.SiteCode, v.VisitCode, v.DoneOn, v.Missed, day, inWindow);
            })
            .OrderBy(v => v.Participant, StringComparer.Ordinal).ThenBy(v => VisitOrder(current, v.VisitCode))
            .ToList();

        var entries = await db.FormEntries.AsNoTracking().Include(e => e.Values).Where(e => e.TrialId == trialId).ToListAsync(cancellationToken);
        var forms = entries
            .Select(e =>
            {
                var p = exported[e.ParticipantId];
                return new ExportForm(
                    e.Id, e.ParticipantId, p.Number, p.SiteCode, sequenceOf[e.ProtocolVersionId], e.VisitCode, e.FormCode, e.Status, e.UpdatedAt, e.UpdatedByName, e.CompletedAt,
                    e.Values.Where(v => v.Value.Length > 0).ToDictionary(v => v.FieldCode, v => v.Value, StringComparer.Ordinal),
                    StoredScores.Read(e.ScoresJson).ToDictionary(s => s.Key, s => s.Value.Total, StringComparer.Ordinal));
            })
            .OrderBy(f => f.Participant, StringComparer.Ordinal).ThenBy(f => VisitOrder(current, f.VisitCode)).ThenBy(f => f.FormCode, StringComparer.Ordinal)
            .ToList();

        var currentVersions = await db.AdverseEvents.AsNoTracking().Where(a => a.TrialId == trialId)
            .Join(db.AdverseEventVersions, a => new { Id = a.Id, V = a.CurrentVersion }, v => new { Id = v.AdverseEventId, V = v.Version }, (a, v) => new { a.Number, Version = v })
            .ToListAsync(cancellationToken);
        var adverseEvents = currentVersions
            .Select(x =>
            {
                var v = x.Version;
                var p = exported[v.ParticipantId];
                return new ExportAdverseEvent(
                    v.AdverseEventId, v.ParticipantId, p.Number, p.SiteCode, x.Number, v.Version, v.ReportedTerm, v.CodedTerm, v.Code, v.Onset, v.End, v.Grade, v.Serious,
                    v.SeriousnessCriteria, v.Causality, v.ActionTaken, v.Outcome, v.SpecialInterestCode, v.SiteAwareAt, v.ReceivedAt);
            })
            .OrderBy(a => a.Number, StringComparer.Ordinal)
            .ToList();

        var diary = (await db.DiaryEntries.AsNoTracking().Where(d => db.Participants.Any(p => p.Id == d.ParticipantId && p.TrialId == trialId)).ToListAsync(cancellationToken))
            .Select(d => new ExportDiaryDay(d.ParticipantId, exported[d.ParticipantId].Number, exported[d.ParticipantId].SiteCode, d.StudyDay, d.TookDose))
            .OrderBy(d => d.Participant, StringComparer.Ordinal).ThenBy(d => d.StudyDay)
            .ToList();

        var kits = await KitsAsync(trialId, current, exported, zoneOf, cancellationToken);
        var signatures = scope.Signatures ? await SignaturesAsync(trialId, entries, currentVersions.Select(x => (x.Number, x.Version)).ToList(), cancellationToken) : [];
        var audit = scope.Audit
            // By participant, not by trial: entries of records that name only their participant (form values, visits) carry no trial.
            ? (await db.AuditTrail.AsNoTracking().Where(e => e.ParticipantId != null && db.Participants.Any(p => p.Id == e.ParticipantId && p.TrialId == trialId))
                .OrderBy(e => e.ChainSeq).ToListAsync(cancellationToken))
                .Where(e => exported.ContainsKey(e.ParticipantId!.Value))
                .Select(e => new ExportAuditRecord(e.ChainSeq, e.ParticipantId!.Value, e.OccurredAt, e.UserId, e.UserName, e.Action, e.EntityType, e.EntityId, e.Reason, e.IpAddress))
                .ToList()
            : [];

        Dictionary<Guid, ExportArm>? arms = null;
        if (scope.Unblinded)
        {
            arms = [];
            foreach (var (participantId, arm) in await allocations.ArmsByParticipantAsync(trialId, cancellationToken))
            {
                if (exported.ContainsKey(participantId))
                {
                    arms[participantId] = new ExportArm(arm, current.FindArm(arm)?.BlindedLabel ?? arm);
                }
            }
        }

        return new ExportSnapshot(
            new ExportTrial(trial.Id, trial.Code, trial.Title, current.Sponsor, current.RegistryId, current.Phase, clock.GetUtcNow(), exportedByName, trial.LockLevel),
            versions,
            sites.Select(s => new ExportSite(s.Id, s.Code, s.Name, s.Country)).ToList(),
            participants, visits, forms, adverseEvents, diary, kits, signatures, audit, arms);
    }

    private static int VisitOrder(Domain.Protocols.Protocol protocol, string visitCode)
    {
        for (var i = 0; i < protocol.Visits.Count; i++)
        {
            if (protocol.Visits[i].Code == visitCode)
            {
                return i;
            }
        }

        return int.MaxValue;
    }

    private async Task<List<ExportKitUse>> KitsAsync(
        Guid trialId,
        Domain.Protocols.Protocol protocol,
        Dictionary<Guid, ExportParticipant> exported,
        Dictionary<Guid, TimeZoneInfo> zoneOf,
        CancellationToken cancellationToken)
    {
        var dispensings = await db.Dispensings.AsNoTracking().Where(d => d.TrialId == trialId)
            .Join(db.Kits, d => d.KitId, k => k.Id, (d, k) => new { d.ParticipantId, d.KitCode, d.VisitCode, d.Kind, d.At, k.State, k.ReturnedOn, k.UnusedUnitsReturned })
            .ToListAsync(cancellationToken);
        return dispensings
            .Select(d =>
            {
                var p = exported[d.ParticipantId];
                var dispensedOn = SiteCalendar.LocalDate(d.At, zoneOf[d.ParticipantId]);
                AdherenceResult? adherence = d.ReturnedOn is { } returned && d.UnusedUnitsReturned is { } unused && p.RandomizedOn is { } randomizedOn
                    ? Adherence.FromReturnedKit(protocol.Dosing, protocol.Kits, randomizedOn, dispensedOn, returned, unused)
                    : null;
                return new ExportKitUse(
                    d.ParticipantId, p.Number, p.SiteCode, d.KitCode, d.VisitCode, d.Kind, dispensedOn, protocol.Kits.UnitsPerKit, d.ReturnedOn, d.UnusedUnitsReturned,
                    adherence?.Scheduled, adherence?.Taken,
                    adherence?.Rate is { } rate ? Math.Round((decimal)rate * 100m, 1, MidpointRounding.AwayFromZero) : null);
            })
            .OrderBy(k => k.Participant, StringComparer.Ordinal).ThenBy(k => k.DispensedOn).ThenBy(k => k.KitCode, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Every signature with whether its content still matches, judged by the same hashes the signing operations use.</summary>
    private async Task<List<ExportSignature>> SignaturesAsync(Guid trialId, List<FormEntry> entries, List<(string Number, AdverseEventVersion Version)> events, CancellationToken cancellationToken)
    {
        var signatures = await db.Signatures.AsNoTracking().Where(s => s.TrialId == trialId).OrderBy(s => s.SignedAt).ToListAsync(cancellationToken);
        var visitHashes = entries.GroupBy(e => (e.ParticipantId, e.VisitCode)).ToDictionary(g => g.Key, g => SignVisit.ContentHashOf(g));
        var eventById = events.ToDictionary(e => e.Version.AdverseEventId);
        var casebookHashes = new Dictionary<Guid, string>();
        var result = new List<ExportSignature>();
        foreach (var s in signatures)
        {
            string? eventNumber = null;
            bool intact;
            switch (s.Subject)
            {
                case SignatureSubject.AdverseEvent when s.AdverseEventId is { } eventId && eventById.TryGetValue(eventId, out var standing):
                    eventNumber = standing.Number;
                    intact = s.ContentHash == SignAdverseEvent.ContentHash(standing.Version);
                    break;
                case SignatureSubject.Casebook:
                    if (!casebookHashes.TryGetValue(s.ParticipantId, out var casebookHash))
                    {
                        casebookHash = await signOff.ContentHashAsync(s.ParticipantId, cancellationToken);
                        casebookHashes[s.ParticipantId] = casebookHash;
                    }

                    intact = s.ContentHash == casebookHash;
                    break;
                case SignatureSubject.Visit:
                    intact = s.ContentHash == visitHashes.GetValueOrDefault((s.ParticipantId, s.VisitCode), SignVisit.ContentHashOf([]));
                    break;
                default:
                    continue;
            }

            result.Add(new ExportSignature(s.Id, s.ParticipantId, s.Subject, s.VisitCode, eventNumber, s.Meaning, s.SignedByUserId, s.SignedByName, s.SignedAt, s.ContentHash, intact));
        }

        return result;
    }
}
