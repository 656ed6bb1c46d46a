using TrialManager.Domain.Protocols;
using TrialManager.Web.Data.Audit;

namespace TrialManager.Web.Data;

/// <summary>
/// One respondent's answer to "which treatment do you think this participant had?" at a visit: the guess (a code of
/// the protocol's guesses, which name arms or none for "don't know"), how sure, and on what it was based. Entered by
/// blinded site staff; only unblinded roles ever see what the answers add up to.
/// </summary>
public sealed class BlindingGuessRecord : IAuditScoped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid TrialId { get; set; }

    public Guid SiteId { get; set; }

    public Guid ParticipantId { get; set; }

    public string VisitCode { get; set; } = "";

    public BlindingRespondent Respondent { get; set; }

    public string GuessCode { get; set; } = "";

    /// <summary>0 (a pure guess) to 100 (certain).</summary>
    public int Confidence { get; set; }

    /// <summary>Codes of <c>GuessBases</c> joined by "|".</summary>
    public string Basis { get; set; } = "";

    public string? BasisOther { get; set; }

    public string RecordedByUserId { get; set; } = "";

    public string RecordedByName { get; set; } = "";

    public DateTimeOffset RecordedAt { get; set; }

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => ParticipantId;
}
