using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Features.Signatures;
using Site = TrialManager.Web.Data.Site;

namespace TrialManager.Web.Features.Documents;

/// <summary>
/// Reads what the documents print, with the same scoping as the pages they come from: a participant the user may not
/// see is reported missing (404), exactly as the participant page does.
/// </summary>
public sealed class RecordReader(TrialDbContext db, CurrentUser me, TrialProtocols protocols)
{
    public sealed record ParticipantContext(Participant Participant, Site Site, Trial Trial, Protocol Protocol);

    public async Task<ParticipantContext?> ParticipantAsync(Guid participantId, CancellationToken cancellationToken)
    {
        await me.DemandAsync(Policies.ParticipantRecords);
        var sites = await me.VisibleSitesAsync(cancellationToken);
        var found = await db.Participants.AsNoTracking()
            .Join(sites, p => p.SiteId, s => s.Id, (p, s) => new { Participant = p, Site = s })
            .Join(db.Trials, x => x.Participant.TrialId, t => t.Id, (x, t) => new { x.Participant, x.Site, Trial = t })
            .SingleOrDefaultAsync(x => x.Participant.Id == participantId, cancellationToken);
        if (found is null)
        {
            return null;
        }

        var protocol = await protocols.ForVersionAsync(found.Participant.ProtocolVersionId, cancellationToken);
        return new ParticipantContext(found.Participant, found.Site, found.Trial, protocol);
    }

    /// <summary>All the visit's forms (started or not), with values, scores, queries, and the visit's signature state.</summary>
    public async Task<VisitRecordData> VisitAsync(Participant participant, Protocol protocol, Visit visit, CancellationToken cancellationToken)
    {
        var entries = await db.FormEntries.AsNoTracking().Include(e => e.Values)
            .Where(e => e.ParticipantId == participant.Id && e.VisitCode == visit.Code)
            .ToListAsync(cancellationToken);
        var entryIds = entries.Select(e => e.Id).ToList();
        var queries = (await db.DataQueries.AsNoTracking().Where(q => entryIds.Contains(q.FormEntryId)).OrderBy(q => q.RaisedAt).ToListAsync(cancellationToken))
            .ToLookup(q => q.FormEntryId);
        var forms = new List<FormRecord>();
        foreach (var code in visit.Forms)
        {
            var form = protocol.FindForm(code);
            if (form is null)
            {
                continue;
            }

            var entry = entries.SingleOrDefault(e => e.FormCode == code);
            forms.Add(new FormRecord(form, entry, entry is null ? new Dictionary<string, StoredScore>() : StoredScores.Read(entry.ScoresJson), entry is null ? [] : [.. queries[entry.Id]]));
        }

        SignatureRecord? signature = null;
        var latest = await db.Signatures.AsNoTracking()
            .Where(s => s.ParticipantId == participant.Id && s.Subject == SignatureSubject.Visit && s.VisitCode == visit.Code)
            .OrderByDescending(s => s.SignedAt).FirstOrDefaultAsync(cancellationToken);
        if (latest is not null)
        {
            var hash = SignVisit.ContentHashOf(entries);
            signature = new SignatureRecord(latest, latest.ContentHash != hash);
        }

        return new VisitRecordData(visit, forms, signature);
    }
}
