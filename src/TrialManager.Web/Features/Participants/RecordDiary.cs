using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Participants;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Participants;

/// <summary>Records, from the participant's diary, whether a dose was taken on a study day (one answer per day; a later entry corrects it).</summary>
public sealed class RecordDiary(TrialDbContext db, ParticipantAccess access, CurrentUser me, TimeProvider clock)
{
    public const string DayField = "StudyDay";

    public async Task<OperationResult> ExecuteAsync(Guid participantId, string? studyDay, bool tookDose, CancellationToken cancellationToken = default)
    {
        var participant = await access.ForSiteWorkAsync(participantId, cancellationToken);
        if (participant.RandomizedAt is null || participant.WithdrawnOn is not null)
        {
            return OperationResult.Fail("", "The diary is kept for randomized participants in the trial.");
        }

        var zone = await access.SiteZoneAsync(participant, cancellationToken);
        var today = VisitSchedule.StudyDay(SiteCalendar.LocalDate(participant.RandomizedAt.Value, zone), SiteCalendar.LocalDate(clock.GetUtcNow(), zone));
        if (!int.TryParse(studyDay, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var day) || day < 1 || day > today)
        {
            return OperationResult.Fail(DayField, $"Enter a study day from 1 to {today} (today).");
        }

        var entry = await db.DiaryEntries.SingleOrDefaultAsync(d => d.ParticipantId == participant.Id && d.StudyDay == day, cancellationToken);
        if (entry is null)
        {
            entry = new DiaryEntry { ParticipantId = participant.Id, StudyDay = day, SiteId = participant.SiteId };
            db.DiaryEntries.Add(entry);
        }

        entry.TookDose = tookDose;
        entry.RecordedAt = clock.GetUtcNow();
        entry.RecordedByName = me.DisplayName;
        await db.SaveChangesAsync(cancellationToken);
        return OperationResult.Success;
    }
}
