using System.Globalization;
using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Protocols;

namespace TrialManager.Web.Features.Blinding;

public sealed class BlindingGuessInput
{
    public string? Guess { get; set; }

    public string? Confidence { get; set; }

    public List<string> Basis { get; set; } = [];

    public string? BasisOther { get; set; }

    /// <summary>Needed only when an answer already recorded is changed.</summary>
    public string? Reason { get; set; }
}

/// <summary>
/// Site staff record a respondent's guess of the arm at a blinding-assessment visit of the protocol. Answers are
/// entered blind and never shown back as results to blinded roles; a change to a recorded answer needs a reason.
/// </summary>
public sealed class RecordBlindingGuess(TrialDbContext db, ParticipantAccess access, TrialProtocols protocols, CurrentUser me, TimeProvider clock)
{
    public const string GuessField = nameof(BlindingGuessInput.Guess);
    public const string ConfidenceField = nameof(BlindingGuessInput.Confidence);
    public const string BasisField = nameof(BlindingGuessInput.Basis);
    public const string ReasonField = nameof(BlindingGuessInput.Reason);

    /// <summary>What a guess may be based on (from the assessment literature's usual categories).</summary>
    public static IReadOnlyList<(string Code, string Label)> Bases { get; } =
    [
        ("drug_effect", "Perceived drug effect"),
        ("side_effects", "Side effects"),
        ("improvement", "Improvement"),
        ("worsening", "Worsening"),
        ("other", "Other"),
    ];

    public static IReadOnlyDictionary<BlindingRespondent, string> RespondentLabels { get; } = new Dictionary<BlindingRespondent, string>
    {
        [BlindingRespondent.Participant] = "Participant",
        [BlindingRespondent.Investigator] = "Investigator",
        [BlindingRespondent.SiteCoordinator] = "Site coordinator",
        [BlindingRespondent.OutcomeAssessor] = "Outcome assessor",
    };

    public async Task<OperationResult> ExecuteAsync(Guid participantId, string visitCode, BlindingRespondent respondent, BlindingGuessInput input, CancellationToken cancellationToken = default)
    {
        var participant = await access.ForSiteWorkAsync(participantId, cancellationToken);
        var protocol = await protocols.ForVersionAsync(participant.ProtocolVersionId, cancellationToken);
        var assessment = protocol.BlindingAssessment;
        if (!assessment.Visits.Contains(visitCode, StringComparer.Ordinal) || !assessment.Respondents.Contains(respondent))
        {
            return OperationResult.Fail("", "The protocol does not ask for a blinding assessment from this respondent at this visit.");
        }

        if (participant.RandomizationNumber is null)
        {
            return OperationResult.Fail("", "Only a randomized participant has a treatment to guess.");
        }

        var result = new OperationResult();
        var guess = assessment.Guesses.FirstOrDefault(g => g.Code == input.Guess);
        if (guess is null)
        {
            result.Add(GuessField, "Choose the answer given.");
        }

        if (!int.TryParse(input.Confidence, NumberStyles.None, CultureInfo.InvariantCulture, out var confidence) || confidence > 100)
        {
            result.Add(ConfidenceField, "Enter the confidence as a whole number from 0 to 100.");
        }

        var bases = input.Basis.Where(b => !string.IsNullOrWhiteSpace(b)).Distinct(StringComparer.Ordinal).ToList();
        if (bases.Any(b => Bases.All(x => x.Code != b)))
        {
            result.Add(BasisField, "Choose from the listed bases.");
        }
        else if (guess is { Arms.Count: > 0 } && bases.Count == 0)
        {
            result.Add(BasisField, "Say what the guess was based on (at least one).");
        }

        if (bases.Contains("other") && string.IsNullOrWhiteSpace(input.BasisOther))
        {
            result.Add(BasisField, "Describe the other basis.");
        }

        if (input.BasisOther is { Length: > 500 })
        {
            result.Add(BasisField, "Keep the description to 500 characters.");
        }

        var existing = await db.BlindingGuesses.SingleOrDefaultAsync(g => g.ParticipantId == participant.Id && g.VisitCode == visitCode && g.Respondent == respondent, cancellationToken);
        if (existing is not null && (string.IsNullOrWhiteSpace(input.Reason) || input.Reason.Length > 500))
        {
            result.Add(ReasonField, "This answer is already recorded: give the reason for changing it.");
        }

        if (!result.Succeeded)
        {
            return result;
        }

        var record = existing ?? new BlindingGuessRecord
        {
            TrialId = participant.TrialId,
            SiteId = participant.SiteId,
            ParticipantId = participant.Id,
            VisitCode = visitCode,
            Respondent = respondent,
        };
        record.GuessCode = guess!.Code;
        record.Confidence = confidence;
        record.Basis = string.Join('|', bases);
        record.BasisOther = bases.Contains("other") ? input.BasisOther!.Trim() : null;
        record.RecordedByUserId = me.Id;
        record.RecordedByName = me.DisplayName;
        record.RecordedAt = clock.GetUtcNow();
        if (existing is null)
        {
            db.BlindingGuesses.Add(record);
        }
        else
        {
            db.AuditReason = input.Reason!.Trim();
        }

        await db.SaveChangesAsync(cancellationToken);
        return OperationResult.Success;
    }
}
