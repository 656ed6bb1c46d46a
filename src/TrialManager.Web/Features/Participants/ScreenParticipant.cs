using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Participants;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Features.Randomization;

namespace TrialManager.Web.Features.Participants;

/// <summary>
/// Screening: every eligibility question of the participant's protocol answered (answers that come from a score are
/// taken from the completed screening form, never typed), every rule evaluated. Eligible participants get their
/// stratification levels recorded; the others become screen failures with the criteria they failed. Decided once.
/// </summary>
public sealed class ScreenParticipant(TrialDbContext db, ParticipantAccess access, TrialProtocols protocols, CurrentUser me, TimeProvider clock)
{
    public const string AnswerPrefix = "a.";

    public sealed record Outcome(bool Eligible, IReadOnlyList<CriterionFailure> Failures, StratificationOutcome Stratification);

    public async Task<OperationResult<Outcome>> ExecuteAsync(Guid participantId, IReadOnlyDictionary<string, string?> answers, CancellationToken cancellationToken = default)
    {
        var participant = await access.ForSiteWorkAsync(participantId, cancellationToken);
        if (participant.Status != ParticipantStatus.Registered)
        {
            return new(OperationResult.Fail("", "Screening for this participant is already decided."), null);
        }

        if (participant.ConsentedOn is null || participant.ConsentWithdrawnOn is not null)
        {
            return new(OperationResult.Fail("", "Screening needs the participant's current consent."), null);
        }

        var protocol = await protocols.ForVersionAsync(participant.ProtocolVersionId, cancellationToken);
        var scores = await ScoresAsync(participant.Id, cancellationToken);
        var result = new OperationResult();
        var given = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var criterion in protocol.Eligibility.Criteria)
        {
            var field = AnswerPrefix + criterion.Code;
            if (criterion.Question is NumberQuestion { FromScore: { } score })
            {
                if (scores.TryGetValue((score.FormCode, score.ScoreCode), out var stored))
                {
                    given[criterion.Code] = stored.Total.ToString(CultureInfo.InvariantCulture);
                }
                else
                {
                    result.Add(field, $"Complete the {score.FormCode} form at screening first; this answer is its {score.ScoreCode} score.");
                }

                continue;
            }

            var answer = answers.GetValueOrDefault(criterion.Code)?.Trim();
            var problem = string.IsNullOrEmpty(answer) ? "Answer this question." : FormatProblem(criterion.Question, answer);
            if (problem is not null)
            {
                result.Add(field, problem);
            }

            given[criterion.Code] = answer;
        }

        if (!result.Succeeded)
        {
            return new(result, null);
        }

        var evaluation = protocol.Eligibility.Evaluate(given);
        var stratification = StratificationCapture.Capture(
            protocol,
            new Dictionary<string, string> { [ParticipantAttributes.Sex] = participant.Sex },
            given,
            scores.ToDictionary(s => s.Key, s => s.Value.Band));
        var now = clock.GetUtcNow();
        db.EligibilityAssessments.Add(new EligibilityAssessment
        {
            TrialId = participant.TrialId,
            SiteId = participant.SiteId,
            ParticipantId = participant.Id,
            ProtocolVersionId = participant.ProtocolVersionId,
            AnswersJson = JsonSerializer.Serialize(given),
            Eligible = evaluation.IsEligible,
            FailuresJson = JsonSerializer.Serialize(evaluation.Failures.Select(f => new { Criterion = f.Criterion.Code, f.Reason })),
            AssessedAt = now,
            AssessedByName = me.DisplayName,
        });
        participant.Status = evaluation.IsEligible ? ParticipantStatus.Eligible : ParticipantStatus.ScreenFailed;
        participant.EligibilityConfirmedAt = evaluation.IsEligible ? now : null;
        if (evaluation.IsEligible && stratification.IsComplete)
        {
            participant.StratumLevels = ParticipantStratum.Format(stratification.Levels);
        }

        db.AuditAction("Screen", nameof(Participant), participant.Id.ToString(),
            new { Eligible = evaluation.IsEligible, Failed = evaluation.Failures.Select(f => f.Criterion.Code) }, participant.TrialId, participant.SiteId, participant.Id);
        await db.SaveChangesAsync(cancellationToken);
        return new(result, new Outcome(evaluation.IsEligible, evaluation.Failures, stratification));
    }

    /// <summary>Completed forms' scores by (form, score); a participant's screening and baseline forms feed eligibility and strata.</summary>
    public async Task<Dictionary<(string Form, string Score), StoredScore>> ScoresAsync(Guid participantId, CancellationToken cancellationToken)
    {
        var entries = await db.FormEntries.AsNoTracking()
            .Where(e => e.ParticipantId == participantId && e.Status == FormStatus.Complete)
            .OrderBy(e => e.UpdatedAt)
            .Select(e => new { e.FormCode, e.ScoresJson })
            .ToListAsync(cancellationToken);
        var scores = new Dictionary<(string, string), StoredScore>();
        foreach (var entry in entries)
        {
            foreach (var (code, score) in StoredScores.Read(entry.ScoresJson))
            {
                scores[(entry.FormCode, code)] = score;
            }
        }

        return scores;
    }

    private static string? FormatProblem(EligibilityQuestion question, string answer) => question switch
    {
        YesNoQuestion when !YesNo.TryParse(answer, out _) => "Answer yes or no.",
        NumberQuestion when !decimal.TryParse(answer, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _) || answer.Length > 20
            => "Enter a number, with a dot for decimals (for example 42 or 36.5).",
        ChoiceQuestion choice when choice.Choices.All(c => c.Code != answer) => "Choose one of the answers listed.",
        _ => null,
    };
}
