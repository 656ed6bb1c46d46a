using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Participants;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Features.Randomization;

namespace TrialManager.Web.Features.Participants;

/// <summary>
/// Saves one case report form of one visit, validated on the server against the protocol's form definition: types,
/// required fields, ranges, lengths, choices and cross-field checks, with messages per field, and derived scores
/// computed here. A draft may be incomplete (only what was typed is checked); completing checks everything.
/// Changing a completed form needs a reason, which goes into the audit entry of every changed value.
/// All of it is one save: a form with any error changes nothing.
/// </summary>
public sealed class SaveForm(TrialDbContext db, ParticipantAccess access, TrialProtocols protocols, ScreenParticipant screening, CurrentUser me, TimeProvider clock)
{
    public const string FieldPrefix = "f.";
    public const string ReasonField = "Reason";

    public sealed record Request(Guid ParticipantId, string VisitCode, string FormCode, IReadOnlyDictionary<string, string?> Values, bool Complete, string? Reason);

    public async Task<OperationResult<FormEntry>> ExecuteAsync(Request request, CancellationToken cancellationToken = default)
    {
        var participant = await access.ForSiteWorkAsync(request.ParticipantId, cancellationToken);
        var protocol = await protocols.ForVersionAsync(participant.ProtocolVersionId, cancellationToken);
        var visit = protocol.FindVisit(request.VisitCode);
        var form = visit is not null && visit.Forms.Contains(request.FormCode, StringComparer.Ordinal) ? protocol.FindForm(request.FormCode) : null;
        if (visit is null || form is null)
        {
            return new(OperationResult.Fail("", "That form is not collected at that visit."), null);
        }

        var refusal = CanRecord(participant, visit);
        if (refusal is not null)
        {
            return new(OperationResult.Fail("", refusal), null);
        }

        var values = form.Fields.ToDictionary(f => f.Code, f => request.Values.GetValueOrDefault(f.Code), StringComparer.Ordinal);
        var unknown = request.Values.Keys.Where(k => form.FindField(k) is null).ToList();
        var validation = form.Validate(values);
        var result = new OperationResult();
        foreach (var (field, messages) in validation.Errors)
        {
            // A draft is checked only where something was typed; completing checks everything.
            if (request.Complete || !string.IsNullOrWhiteSpace(values.GetValueOrDefault(field)))
            {
                foreach (var message in messages)
                {
                    result.Add(FieldPrefix + field, message);
                }
            }
        }

        if (unknown.Count > 0)
        {
            result.Add("", "The form was sent with fields it does not have; reload the page and enter it again.");
        }

        var entry = await db.FormEntries.Include(e => e.Values)
            .SingleOrDefaultAsync(e => e.ParticipantId == participant.Id && e.VisitCode == visit.Code && e.FormCode == form.Code, cancellationToken);
        var cleaned = values.Where(v => !string.IsNullOrWhiteSpace(v.Value)).ToDictionary(v => v.Key, v => v.Value!.Trim(), StringComparer.Ordinal);
        var changed = entry is null
            || entry.Values.Count != cleaned.Count
            || entry.Values.Any(v => !cleaned.TryGetValue(v.FieldCode, out var now) || now != v.Value);
        if (entry is { Status: FormStatus.Complete } && changed && string.IsNullOrWhiteSpace(request.Reason))
        {
            result.Add(ReasonField, "This form is complete: give the reason for the change.");
        }

        if (request.Reason is { Length: > 1000 })
        {
            result.Add(ReasonField, "Keep the reason under 1000 characters.");
        }

        if (!result.Succeeded)
        {
            return new(result, null);
        }

        var now = clock.GetUtcNow();
        if (entry is null)
        {
            entry = new FormEntry
            {
                TrialId = participant.TrialId,
                SiteId = participant.SiteId,
                ParticipantId = participant.Id,
                ProtocolVersionId = participant.ProtocolVersionId,
                VisitCode = visit.Code,
                FormCode = form.Code,
            };
            db.FormEntries.Add(entry);
        }

        foreach (var stale in entry.Values.Where(v => !cleaned.ContainsKey(v.FieldCode)).ToList())
        {
            entry.Values.Remove(stale);
            db.FormValues.Remove(stale);
        }

        foreach (var (field, value) in cleaned)
        {
            var row = entry.Values.FirstOrDefault(v => v.FieldCode == field);
            if (row is null)
            {
                entry.Values.Add(new FormValue { FormEntryId = entry.Id, FieldCode = field, Value = value, SiteId = participant.SiteId, ParticipantId = participant.Id });
            }
            else
            {
                row.Value = value;
            }
        }

        var completing = request.Complete && entry.Status != FormStatus.Complete;
        if (changed || completing)
        {
            entry.Status = request.Complete || entry.Status == FormStatus.Complete ? FormStatus.Complete : FormStatus.Draft;
            entry.CompletedAt = completing ? now : entry.CompletedAt;
            entry.ScoresJson = StoredScores.Serialize(validation.Scores);
            entry.UpdatedAt = now;
            entry.UpdatedByName = me.DisplayName;
            db.AuditReason = request.Reason?.Trim() ?? "";
            await RefreshStratificationAsync(participant, protocol, entry, validation, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
        }

        return new(result, entry);
    }

    /// <summary>Why nothing may be recorded for this visit now, or null.</summary>
    public static string? CanRecord(Participant participant, Visit visit) => participant switch
    {
        { WithdrawnOn: not null } => "This participant has left the trial; nothing more is recorded.",
        { Status: ParticipantStatus.ScreenFailed } when visit.Kind != VisitKind.Screening => "This participant failed screening.",
        { Status: ParticipantStatus.Registered or ParticipantStatus.ScreenFailed } when visit.Kind is not VisitKind.Screening and not VisitKind.Randomization
            => "This visit comes after randomization.",
        { Status: ParticipantStatus.Registered } when visit.Kind == VisitKind.Randomization => "Screen the participant before their baseline visit.",
        { Status: ParticipantStatus.Eligible } when visit.Kind is VisitKind.Treatment or VisitKind.FollowUp => "This visit comes after randomization.",
        _ => null,
    };

    /// <summary>Before randomization a completed baseline score can settle the stratification levels (e.g. baseline severity).</summary>
    private async Task RefreshStratificationAsync(Participant participant, Protocol protocol, FormEntry entry, FormValidationResult validation, CancellationToken cancellationToken)
    {
        if (participant.Status != ParticipantStatus.Eligible || entry.Status != FormStatus.Complete || protocol.Randomization.Factors.Count == 0)
        {
            return;
        }

        var scores = await screening.ScoresAsync(participant.Id, cancellationToken);
        foreach (var (code, score) in validation.Scores)
        {
            scores[(entry.FormCode, code)] = new StoredScore(score.Total, score.Band.Code, score.Band.Label);
        }

        var answers = await db.EligibilityAssessments.Where(a => a.ParticipantId == participant.Id && a.Eligible).OrderByDescending(a => a.AssessedAt).Select(a => a.AnswersJson).FirstOrDefaultAsync(cancellationToken);
        var outcome = StratificationCapture.Capture(
            protocol,
            new Dictionary<string, string> { [ParticipantAttributes.Sex] = participant.Sex },
            answers is null ? new Dictionary<string, string?>() : System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string?>>(answers)!,
            scores.ToDictionary(s => s.Key, s => s.Value.Band));
        if (outcome.IsComplete)
        {
            participant.StratumLevels = ParticipantStratum.Format(outcome.Levels);
        }
    }
}
