using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Participants;

namespace TrialManager.Web.Features.Signatures;

/// <summary>
/// The investigator's sign-off of a participant's whole casebook: the same two components and meanings as a visit
/// signature, over a hash of everything the casebook holds (forms, visits, diary, adverse event reports, deviations,
/// consent, randomization and end of participation). Any later change to any of it shows the sign-off broken.
/// Refused while a form is still a draft or a data query is open: those are not a record anyone can vouch for yet.
/// </summary>
public sealed class SignCasebook(TrialDbContext db, ParticipantAccess access, SignatureCheck check, CurrentUser me, TimeProvider clock)
{
    public const string PasswordField = SignVisit.PasswordField;
    public const string MeaningField = SignVisit.MeaningField;

    public async Task<OperationResult> ExecuteAsync(Guid participantId, string? meaning, string? password, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.Sign);
        var participant = await access.ForSiteWorkAsync(participantId, cancellationToken);
        var blocker = await BlockerAsync(participant.Id, cancellationToken);
        if (blocker is not null)
        {
            return OperationResult.Fail("", blocker);
        }

        var (user, refusal) = await check.ConfirmAsync(meaning, password, new SignedRecord(nameof(Participant), participant.Id.ToString(), new { Casebook = participant.Number }, participant.TrialId, participant.SiteId, participant.Id), cancellationToken);
        if (user is null)
        {
            return refusal!;
        }

        db.Signatures.Add(new Signature
        {
            Subject = SignatureSubject.Casebook,
            TrialId = participant.TrialId,
            SiteId = participant.SiteId,
            ParticipantId = participant.Id,
            Meaning = meaning!,
            ContentHash = await ContentHashAsync(participant.Id, cancellationToken),
            SignedByUserId = user.Id,
            SignedByName = user.DisplayName,
            SignedAt = clock.GetUtcNow(),
        });
        db.AuditAction("Sign", nameof(Participant), participant.Id.ToString(), new { Casebook = participant.Number, Meaning = meaning }, participant.TrialId, participant.SiteId, participant.Id);
        await db.SaveChangesAsync(cancellationToken);
        return OperationResult.Success;
    }

    /// <summary>Why the casebook cannot be signed yet, or null.</summary>
    public async Task<string?> BlockerAsync(Guid participantId, CancellationToken cancellationToken = default)
    {
        if (await db.FormEntries.AnyAsync(e => e.ParticipantId == participantId && e.Status == FormStatus.Draft, cancellationToken))
        {
            return "A form is still a draft: complete it before signing the casebook.";
        }

        if (await db.DataQueries.AnyAsync(q => q.ParticipantId == participantId && q.Status != QueryStatus.Closed, cancellationToken))
        {
            return "A data query is still open: it must be closed before the casebook is signed.";
        }

        return null;
    }

    public async Task<SignVisit.State> StatusAsync(Guid participantId, CancellationToken cancellationToken = default)
    {
        var latest = await db.Signatures.AsNoTracking().Where(s => s.ParticipantId == participantId && s.Subject == SignatureSubject.Casebook)
            .OrderByDescending(s => s.SignedAt).FirstOrDefaultAsync(cancellationToken);
        return latest is null ? new SignVisit.State(null, false) : new SignVisit.State(latest, latest.ContentHash != await ContentHashAsync(participantId, cancellationToken));
    }

    /// <summary>SHA-256 over everything the casebook shows, each part in a fixed order.</summary>
    public async Task<string> ContentHashAsync(Guid participantId, CancellationToken cancellationToken)
    {
        var p = await db.Participants.AsNoTracking().SingleAsync(x => x.Id == participantId, cancellationToken);
        var text = new StringBuilder();
        void Part(params object?[] values) => text.AppendJoin('\u001f', values.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))).Append('\u001e');

        Part(p.Number, p.YearOfBirth, p.Sex, p.Status, p.ConsentedOn, p.ConsentFormVersion, p.StratumLevels, p.RandomizationNumber, p.DrugDiscontinuedOn, p.DrugDiscontinuationReason, p.WithdrawnOn, p.WithdrawalReason);
        var entries = await db.FormEntries.AsNoTracking().Include(e => e.Values).Where(e => e.ParticipantId == participantId).ToListAsync(cancellationToken);
        foreach (var visit in entries.GroupBy(e => e.VisitCode).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            Part(visit.Key, SignVisit.ContentHashOf(visit));
        }

        foreach (var v in (await db.VisitRecords.AsNoTracking().Where(v => v.ParticipantId == participantId).ToListAsync(cancellationToken)).OrderBy(v => v.VisitCode, StringComparer.Ordinal))
        {
            Part(v.VisitCode, v.DoneOn, v.Missed);
        }

        foreach (var d in await db.DiaryEntries.AsNoTracking().Where(d => d.ParticipantId == participantId).OrderBy(d => d.StudyDay).ToListAsync(cancellationToken))
        {
            Part(d.StudyDay, d.TookDose);
        }

        foreach (var k in await db.Dispensings.AsNoTracking().Where(d => d.ParticipantId == participantId).OrderBy(d => d.At).ToListAsync(cancellationToken))
        {
            Part(k.KitCode, k.Kind, k.VisitCode);
        }

        foreach (var v in await db.AdverseEventVersions.AsNoTracking().Where(v => v.ParticipantId == participantId).OrderBy(v => v.AdverseEventId).ThenBy(v => v.Version).ToListAsync(cancellationToken))
        {
            Part(SignAdverseEvent.ContentHash(v));
        }

        foreach (var d in await db.ProtocolDeviations.AsNoTracking().Where(d => d.ParticipantId == participantId).OrderBy(d => d.RaisedAt).ToListAsync(cancellationToken))
        {
            Part(d.VisitCode, d.Kind, d.Description);
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
