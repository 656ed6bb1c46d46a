using Microsoft.EntityFrameworkCore;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Participants;

/// <summary>
/// Data queries on one field of one form: the data manager raises one (open), site staff answer it (answered), and
/// the data manager closes it or asks again (open). Each step is its own audited save.
/// </summary>
public sealed class DataQueryWorkflow(TrialDbContext db, ParticipantAccess access, CurrentUser me, TimeProvider clock)
{
    public const string QuestionField = "Question";
    public const string AnswerField = "Answer";

    public async Task<OperationResult> RaiseAsync(Guid formEntryId, string? fieldCode, string? question, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.ManageQueries);
        var entry = await db.FormEntries.AsNoTracking().SingleOrDefaultAsync(e => e.Id == formEntryId, cancellationToken);
        if (entry is null)
        {
            return OperationResult.Fail("", "There is no such form.");
        }

        if (string.IsNullOrWhiteSpace(fieldCode) || fieldCode.Length > 40 || !await db.FormValues.AnyAsync(v => v.FormEntryId == formEntryId && v.FieldCode == fieldCode, cancellationToken))
        {
            return OperationResult.Fail("Field", "Choose a field that has a value.");
        }

        if (string.IsNullOrWhiteSpace(question) || question.Length > 2000)
        {
            return OperationResult.Fail(QuestionField, "Write the question (at most 2000 characters).");
        }

        db.DataQueries.Add(new DataQuery
        {
            FormEntryId = entry.Id,
            SiteId = entry.SiteId,
            ParticipantId = entry.ParticipantId,
            FieldCode = fieldCode,
            Status = QueryStatus.Open,
            Question = question.Trim(),
            RaisedAt = clock.GetUtcNow(),
            RaisedByName = me.DisplayName,
        });
        await db.SaveChangesAsync(cancellationToken);
        return OperationResult.Success;
    }

    public async Task<OperationResult> AnswerAsync(Guid queryId, string? answer, CancellationToken cancellationToken = default)
    {
        var query = await db.DataQueries.SingleOrDefaultAsync(q => q.Id == queryId, cancellationToken);
        if (query is null)
        {
            return OperationResult.Fail("", "There is no such query.");
        }

        await access.ForSiteWorkAsync(query.ParticipantId, cancellationToken);
        if (query.Status != QueryStatus.Open)
        {
            return OperationResult.Fail("", "Only an open query can be answered.");
        }

        if (string.IsNullOrWhiteSpace(answer) || answer.Length > 2000)
        {
            return OperationResult.Fail(AnswerField, "Write the answer (at most 2000 characters).");
        }

        query.Answer = answer.Trim();
        query.AnsweredAt = clock.GetUtcNow();
        query.AnsweredByName = me.DisplayName;
        query.Status = QueryStatus.Answered;
        await db.SaveChangesAsync(cancellationToken);
        return OperationResult.Success;
    }

    /// <summary>The data manager accepts the answer (closed) or asks again (back to open).</summary>
    public async Task<OperationResult> ResolveAsync(Guid queryId, bool close, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.ManageQueries);
        var query = await db.DataQueries.SingleOrDefaultAsync(q => q.Id == queryId, cancellationToken);
        if (query is null || query.Status == QueryStatus.Closed)
        {
            return OperationResult.Fail("", "That query is not open for review.");
        }

        query.Status = close ? QueryStatus.Closed : QueryStatus.Open;
        query.ClosedAt = close ? clock.GetUtcNow() : null;
        await db.SaveChangesAsync(cancellationToken);
        return OperationResult.Success;
    }
}
