using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Participants;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Participants;

public sealed class RegisterParticipantInput
{
    [Required(ErrorMessage = "Choose the trial.")]
    public string? TrialId { get; set; }

    [Required(ErrorMessage = "Choose the site.")]
    public string? SiteId { get; set; }

    [Required(ErrorMessage = "Enter the year of birth.")]
    [StringLength(4, ErrorMessage = "Enter a year such as 1984.")]
    public string? YearOfBirth { get; set; }

    [Required(ErrorMessage = "Choose the participant's sex.")]
    [StringLength(20)]
    public string? Sex { get; set; }

    [StringLength(3, ErrorMessage = "Initials are at most three letters.")]
    [RegularExpression("^[A-Za-z]{0,3}$", ErrorMessage = "Initials are letters only (at most three), or nothing.")]
    public string? Initials { get; set; }

    [Required(ErrorMessage = "Enter the date consent was given.")]
    [StringLength(10)]
    public string? ConsentedOn { get; set; }

    [Required(ErrorMessage = "Enter the version of the consent form signed.")]
    [StringLength(100, ErrorMessage = "Use at most 100 characters.")]
    public string? ConsentFormVersion { get; set; }
}

/// <summary>
/// Registers a consented person at a site under a pseudonymous number (site code + sequence). No names, addresses or
/// contact details are asked for or stored. The participant is tied to the protocol version in force.
/// </summary>
public sealed class RegisterParticipant(TrialDbContext db, CurrentUser me, TimeProvider clock)
{
    public async Task<OperationResult<Participant>> ExecuteAsync(RegisterParticipantInput input, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.SiteWork);
        var result = new OperationResult();
        var siteIds = await me.MemberSiteIdsAsync(cancellationToken);
        // An unreadable id becomes Guid.Empty, which matches no site below.
        var trialId = Guid.TryParse(input.TrialId, out var parsedTrial) ? parsedTrial : Guid.Empty;
        var siteId = Guid.TryParse(input.SiteId, out var parsedSite) ? parsedSite : Guid.Empty;
        var site = siteIds.Contains(siteId)
            ? await db.TrialSites.Where(ts => ts.TrialId == trialId && ts.SiteId == siteId).Select(ts => ts.Site).SingleOrDefaultAsync(cancellationToken)
            : null;
        if (site is null)
        {
            result.Add(nameof(input.SiteId), "Choose one of your sites that takes part in this trial.");
        }

        var today = site is null ? DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime) : SiteCalendar.LocalDate(clock.GetUtcNow(), TimeZoneInfo.FindSystemTimeZoneById(site.TimeZone));
        if (!int.TryParse(input.YearOfBirth, NumberStyles.None, CultureInfo.InvariantCulture, out var year) || year < today.Year - 120 || year > today.Year)
        {
            result.Add(nameof(input.YearOfBirth), $"Enter a year between {today.Year - 120} and {today.Year}.");
        }

        if (!ParticipantAttributes.Values[ParticipantAttributes.Sex].Contains(input.Sex ?? "", StringComparer.Ordinal))
        {
            result.Add(nameof(input.Sex), "Choose female or male.");
        }

        if (!DateOnly.TryParseExact(input.ConsentedOn, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var consented) || consented > today || consented.Year < 2000)
        {
            result.Add(nameof(input.ConsentedOn), $"Enter the consent date as a date no later than today ({today:yyyy-MM-dd}).");
        }

        if (!result.Succeeded)
        {
            return new(result, null);
        }

        var versionId = await db.ProtocolVersions.Where(v => v.TrialId == trialId).OrderByDescending(v => v.Sequence).Select(v => v.Id).FirstAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var sequence = await db.NextCounterValueAsync(trialId, "participants:" + site!.Code, cancellationToken);
        var participant = new Participant
        {
            TrialId = trialId,
            SiteId = site.Id,
            Number = string.Create(CultureInfo.InvariantCulture, $"{site.Code}-{sequence:000}"),
            YearOfBirth = year,
            Sex = input.Sex!,
            Initials = string.IsNullOrWhiteSpace(input.Initials) ? null : input.Initials.Trim().ToUpperInvariant(),
            ProtocolVersionId = versionId,
            Status = ParticipantStatus.Registered,
            ConsentedOn = consented,
            ConsentFormVersion = input.ConsentFormVersion!.Trim(),
            ConsentObtainedByName = me.DisplayName,
            CreatedAt = clock.GetUtcNow(),
        };
        db.Participants.Add(participant);
        db.AuditAction("Register", nameof(Participant), participant.Id.ToString(), new { participant.Number, Consent = participant.ConsentFormVersion }, trialId, site.Id, participant.Id);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new(result, participant);
    }
}
