using System.Globalization;
using Microsoft.EntityFrameworkCore;
using TrialManager.Documents;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Protocols;
using Choice = TrialManager.Documents.Choice;

namespace TrialManager.Web.Features.Documents;

/// <summary>
/// What the blank book prints: the trial, the protocol version in force, and its visits and forms. No protocol object,
/// so no list of arms, and no participant: a blank book holds nothing that could unblind or identify anyone.
/// </summary>
public sealed record BlankCrfBookData(
    string TrialCode,
    string TrialTitle,
    string Sponsor,
    string ProtocolVersion,
    string ProtocolHash,
    IReadOnlyList<Visit> Visits,
    IReadOnlyList<FormDefinition> Forms);

/// <summary>
/// The blank CRF book of a trial's current protocol: every visit's forms with empty boxes, annotated with field codes,
/// units and ranges, for recording on paper while the system is unavailable (the contingency ICH E6(R3) asks for).
/// The paper is the source; its values are entered into the system afterwards.
/// </summary>
public sealed class BlankCrfBook(TrialDbContext db, TrialProtocols protocols, CurrentUser me, PdfDownloads downloads)
{
    public async Task<IResult> DownloadAsync(string code, CancellationToken cancellationToken)
    {
        await me.DemandAsync(Policies.TrialOverview);
        var trial = await db.Trials.AsNoTracking().SingleOrDefaultAsync(t => t.Code == code, cancellationToken);
        if (trial is null)
        {
            return Results.NotFound();
        }

        var (_, protocol) = await protocols.CurrentAsync(trial.Id, cancellationToken);
        var data = new BlankCrfBookData(trial.Code, trial.Title, protocol.Sponsor, protocol.Version, protocol.ContentHash, protocol.Visits, protocol.Forms);
        return await downloads.SendAsync(
            new DocumentRequest(Build(data), "BLANKCRF", $"{trial.Code}-v{protocol.Version}-blank-crf.pdf", nameof(Trial), trial.Id.ToString(), trial.Id),
            cancellationToken);
    }

    public static ReportDocument Build(BlankCrfBookData data)
    {
        var document = new ReportDocument($"Blank case report forms: {data.TrialCode}") { Subject = $"Blank CRF book of {data.TrialCode}, protocol version {data.ProtocolVersion}" }
            .AddContext("Trial", data.TrialCode)
            .AddContext("Protocol version", data.ProtocolVersion);
        var forms = data.Forms.ToDictionary(f => f.Code, StringComparer.Ordinal);
        var visits = data.Visits.Where(v => v.Forms.Any(forms.ContainsKey)).ToList();

        document.Add(
            new Heading("Paper case report forms"),
            new Paragraph(
                "For use only while TrialManager cannot be reached. Write in black ink, one box per field, dates as YYYY-MM-DD and " +
                "numbers with a dot for decimals. Correct by a single line through the old entry with the new value, your initials, " +
                "the date and the reason; never obliterate. When the system is back, enter the values for the same visit and form, " +
                "and file these pages as the source documents."),
            new KeyValueList(
                new KeyValueRow("Trial", $"{data.TrialCode}: {data.TrialTitle}"),
                new KeyValueRow("Sponsor", data.Sponsor),
                new KeyValueRow("Protocol version", data.ProtocolVersion),
                new KeyValueRow("Protocol content hash", data.ProtocolHash)),
            new Table(
                [new TableColumn("Visit", 0.8), new TableColumn("Name", 2.2), new TableColumn("Study day", 0.8, CellAlignment.Right), new TableColumn("Window (days)", 1.1), new TableColumn("Forms", 2)],
                [.. visits.Select(v => new TableRow(
                    v.Code,
                    v.Name,
                    v.Day.ToString(CultureInfo.InvariantCulture),
                    $"{v.EarliestDay.ToString(CultureInfo.InvariantCulture)} to {v.LatestDay.ToString(CultureInfo.InvariantCulture)}",
                    string.Join(", ", v.Forms)))])
            { Title = "Visits", Compact = true },
            new Table(
                [new TableColumn("Form", 0.9), new TableColumn("Title", 3), new TableColumn("Fields", 0.6, CellAlignment.Right), new TableColumn("Collected at", 2)],
                [.. data.Forms.Select(f => new TableRow(
                    f.Code,
                    f.Title,
                    f.Fields.Count.ToString(CultureInfo.InvariantCulture),
                    string.Join(", ", visits.Where(v => v.Forms.Contains(f.Code, StringComparer.Ordinal)).Select(v => v.Code))))])
            { Title = "Forms", Compact = true });

        foreach (var visit in visits)
        {
            foreach (var code in visit.Forms)
            {
                if (forms.TryGetValue(code, out var form))
                {
                    document.Add(new PageBreak());
                    document.Add([.. Form(visit, form)]);
                }
            }

            document.Add(new EntryField($"Investigator's signature, printed name and date for visit {visit.Code}", null, "Sign once every form of the visit is complete", 2));
        }

        return document;
    }

    /// <summary>One form of one visit: who and when, then each field as an empty box or unticked choices.</summary>
    private static IEnumerable<Block> Form(Visit visit, FormDefinition form)
    {
        yield return new Heading($"{visit.Code} · {visit.Name}: {form.Title} ({form.Code})");
        yield return new FieldGrid(new FieldGridRow(
            new FieldGridCell("Participant number"),
            new FieldGridCell("Visit date (YYYY-MM-DD)"),
            new FieldGridCell("Completed by (initials)", Width: 0.8),
            new FieldGridCell("Entered in TrialManager on", Width: 1.1)));
        foreach (var field in form.Fields)
        {
            var label = field.Required ? field.Label + " *" : field.Label;
            switch (field.Type)
            {
                case FieldType.SingleChoice or FieldType.MultipleChoice or FieldType.YesNo:
                    var options = field.Type == FieldType.YesNo
                        ? [new Choice("Yes"), new Choice("No")]
                        : field.Choices.Select(c => new Choice($"{c.Label} ({c.Code})")).ToList();
                    yield return new ChoiceField(field.Type == FieldType.MultipleChoice ? label + " (tick all that apply)" : label, options, field.Code) { Vertical = options.Count > 4 };
                    break;
                default:
                    yield return new EntryField(label, field.Code, Hint(field), field.Type == FieldType.Text && field.EffectiveMaxLength > 100 ? 3 : 1);
                    break;
            }
        }

        var notes = form.Checks.Select(c => "Check: " + Describe(c)).Concat(form.Scores.Select(s => $"{s.Label} is calculated by the system from {string.Join(", ", s.Items)}; do not calculate it on paper."));
        yield return new Paragraph(string.Join("\n", ["* required.", .. notes])) { Small = true };
    }

    /// <summary>What the box takes: unit, range, decimals or date format, as the system will check it on entry.</summary>
    private static string Hint(FieldDefinition field)
    {
        var parts = new List<string>();
        if (field.Type is FieldType.Integer or FieldType.Decimal)
        {
            var kind = field.Type == FieldType.Integer ? "whole number" : "number";
            var range = (field.Minimum, field.Maximum) switch
            {
                ({ } min, { } max) => $"{Invariant(min)} to {Invariant(max)}",
                ({ } min, null) => $"at least {Invariant(min)}",
                (null, { } max) => $"at most {Invariant(max)}",
                _ => null,
            };
            parts.Add(range is null ? kind : $"{kind}, {range}");
            if (field.DecimalPlaces is { } places)
            {
                parts.Add($"{places.ToString(CultureInfo.InvariantCulture)} decimal place{(places == 1 ? "" : "s")}");
            }
        }
        else if (field.Type == FieldType.Date)
        {
            parts.Add("date, YYYY-MM-DD");
        }
        else if (field.Type == FieldType.Text)
        {
            parts.Add($"text, at most {field.EffectiveMaxLength.ToString(CultureInfo.InvariantCulture)} characters");
        }

        if (field.Unit is { } unit)
        {
            parts.Insert(0, "Unit: " + unit);
        }

        return string.Join("; ", parts);
    }

    private static string Describe(CrossFieldCheck check)
    {
        var rule = check switch
        {
            ComparisonCheck c => $"{c.Field} must be {Phrase(c.Operator)} {c.OtherField}.",
            RequiredWhenCheck r => $"{r.Field} is required when {r.WhenField} is {r.EqualsValue}.",
            _ => $"Check on {check.Field}.",
        };
        return check.Message is { } message ? $"{rule} {message}" : rule;
    }

    private static string Phrase(ComparisonOperator op) => op switch
    {
        ComparisonOperator.LessThan => "less than",
        ComparisonOperator.LessThanOrEqual => "at most",
        ComparisonOperator.GreaterThan => "greater than",
        ComparisonOperator.GreaterThanOrEqual => "at least",
        ComparisonOperator.Equal => "equal to",
        _ => "different from",
    };

    private static string Invariant(decimal value) => value.ToString(CultureInfo.InvariantCulture);
}
