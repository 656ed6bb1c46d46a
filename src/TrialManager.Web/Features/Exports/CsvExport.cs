using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using CsvHelper;
using TrialManager.Domain.Protocols;

namespace TrialManager.Web.Features.Exports;

/// <summary>
/// The statisticians' package: a ZIP of plain CSV files (participants, visits, each form long and wide, adverse events,
/// diary, kits), a data dictionary, a description of every column, a manifest of SHA-256 hashes and a README. A pure
/// function of the snapshot: the same snapshot always gives the same bytes.
/// </summary>
public static class CsvExport
{
    public const string ReadmeFile = "README.txt";
    public const string ManifestFile = "manifest.csv";
    public const string ColumnsFile = "columns.csv";
    public const string DictionaryFile = "data_dictionary.csv";
    public const string ParticipantsFile = "participants.csv";
    public const string VisitsFile = "visits.csv";
    public const string AdverseEventsFile = "adverse_events.csv";
    public const string DiaryFile = "dosing_diary.csv";
    public const string KitsFile = "kits_adherence.csv";

    /// <summary>The apostrophe CsvHelper's <see cref="CsvInjection.Escape"/> puts before a text cell a spreadsheet would run as a formula.</summary>
    private const char InjectionEscape = '\'';

    /// <summary>CsvHelper's default injection characters (OWASP): a text cell starting with one of them is escaped.</summary>
    private const string InjectionCharacters = "=@+-\t\r";

    private const string DateFormat = "yyyy-MM-dd";

    /// <summary>Microseconds: PostgreSQL keeps no more, so an instant read back equals the stored one.</summary>
    private const string InstantFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    public static string FormLongFile(string formCode) => $"forms/{formCode}_long.csv";

    public static string FormWideFile(string formCode) => $"forms/{formCode}_wide.csv";

    public static async Task<byte[]> WriteAsync(ExportSnapshot snapshot, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var tables = new List<Table> { Participants(snapshot), Visits(snapshot) };
        foreach (var form in FormCodes(snapshot))
        {
            var layout = new FormLayout(snapshot, form);
            tables.Add(FormLong(snapshot, layout));
            tables.Add(FormWide(snapshot, layout));
        }

        tables.Add(AdverseEvents(snapshot));
        tables.Add(Diary(snapshot));
        tables.Add(Kits(snapshot));
        tables.Add(Dictionary(snapshot));
        var manifest = new Table(ManifestFile, "One row per other file of the package.",
        [
            ("file", "Path of the file inside the ZIP."),
            ("rows", "Data rows of a CSV file, not counting its header row; empty for README.txt."),
            ("sha256", "SHA-256 of the file's bytes, lower-case hexadecimal."),
        ]);
        var columns = new Table(ColumnsFile, "What every column of every CSV file holds.",
        [
            ("file", "Path of the CSV file inside the ZIP."),
            ("column", "Column name, as in the file's header row."),
            ("description", "What the column holds and how it is encoded."),
        ]);
        tables.Add(columns);
        foreach (var table in tables.Append(manifest))
        {
            foreach (var (name, description) in table.Columns)
            {
                columns.Add(Cell.Text(table.File), Cell.Text(name), Cell.Text(description));
            }
        }

        var files = new List<(string Name, byte[] Bytes, int? Rows)> { (ReadmeFile, Encoding.UTF8.GetBytes(Readme(snapshot, tables)), null) };
        foreach (var table in tables)
        {
            files.Add((table.File, await RenderAsync(table, ct), table.Rows.Count));
        }

        foreach (var (name, bytes, rows) in files)
        {
            manifest.Add(Cell.Text(name), Cell.Number(rows), Cell.Text(Convert.ToHexStringLower(SHA256.HashData(bytes))));
        }

        files.Insert(1, (ManifestFile, await RenderAsync(manifest, ct), manifest.Rows.Count));
        return await ZipAsync(files, snapshot.Trial.ExportedAt, ct);
    }

    /// <summary>
    /// Whether a text starts with apostrophes and then an injection character. CsvHelper prefixes an apostrophe only to a
    /// text starting with the character itself, so such a text gets one more here: a reader then removes one apostrophe
    /// wherever apostrophes lead to an injection character, and gets every stored value back exactly (README.txt says so).
    /// </summary>
    private static bool NeedsExtraEscape(string text)
    {
        var i = 0;
        while (i < text.Length && text[i] == InjectionEscape)
        {
            i++;
        }

        return i > 0 && i < text.Length && InjectionCharacters.Contains(text[i], StringComparison.Ordinal);
    }

    private static Table Participants(ExportSnapshot s)
    {
        var columns = new List<(string, string)>
        {
            ("participant", "Participant number (site code and sequence); the key of every file."),
            ("site", "Site code."),
            ("protocol_version", "Protocol version the participant was registered under (1 = original protocol; see README.txt)."),
            ("status", "Registered, ScreenFailed, Eligible, Randomized or Withdrawn."),
            ("year_of_birth", "Year of birth."),
            ("sex", "Sex code from the protocol's participant attributes."),
            ("consented_on", "Date informed consent was signed (yyyy-MM-dd)."),
            ("stratum", "Stratification levels as factor=level pairs joined by |; empty before screening fixed them."),
            ("randomization_number", "Randomization number; empty when not randomized."),
            ("randomized_at_utc", "Instant of randomization, ISO 8601 UTC."),
            ("randomized_on", "Randomization date in the site's calendar: study day 0."),
            ("drug_discontinued_on", "Date study drug was stopped (the participant may stay in follow-up)."),
            ("withdrawn_on", "Date the participant left the trial."),
            ("withdrawal_reason", "Why the participant left the trial."),
        };
        if (s.Unblinded)
        {
            columns.Add(("arm_code", "UNBLINDED: the protocol arm code of the participant's allocation; empty when not randomized."));
            columns.Add(("arm_label", "UNBLINDED: the arm's label in the protocol."));
        }

        var table = new Table(ParticipantsFile, "One row per participant.", columns);
        foreach (var p in s.Participants)
        {
            var row = new List<Cell>
            {
                Cell.Text(p.Number), Cell.Text(p.SiteCode), Cell.Number(p.ProtocolSequence), Cell.Text(p.Status.ToString()), Cell.Number(p.YearOfBirth), Cell.Text(p.Sex),
                Cell.Date(p.ConsentedOn), Cell.Text(p.Stratum), Cell.Text(p.RandomizationNumber), Cell.Instant(p.RandomizedAt), Cell.Date(p.RandomizedOn),
                Cell.Date(p.DrugDiscontinuedOn), Cell.Date(p.WithdrawnOn), Cell.Text(p.WithdrawalReason),
            };
            if (s.Arms is { } arms)
            {
                var arm = arms.GetValueOrDefault(p.Id);
                row.Add(Cell.Text(arm?.Code));
                row.Add(Cell.Text(arm?.Label));
            }

            table.Add([.. row]);
        }

        return table;
    }

    private static Table Visits(ExportSnapshot s)
    {
        var table = new Table(VisitsFile, "One row per visit that took place or was recorded as missed.",
        [
            ("participant", "Participant number."),
            ("site", "Site code."),
            ("visit", "Visit code from the protocol."),
            ("visit_name", "Visit name in the newest protocol version."),
            ("scheduled_day", "Planned study day of the visit (day 0 = randomization)."),
            ("done_on", "Date the visit took place (site calendar); empty when missed."),
            ("missed", "true when the visit was recorded as missed, else false."),
            ("study_day", "Days from the randomization date to done_on; empty when missed."),
            ("in_window", "true when study_day falls within the visit's window in the newest protocol version, false when outside; empty without a study day."),
        ]);
        foreach (var v in s.Visits)
        {
            var visit = FindVisit(s, v.VisitCode);
            table.Add(
                Cell.Text(v.Participant), Cell.Text(v.SiteCode), Cell.Text(v.VisitCode), Cell.Text(visit?.Name), Cell.Number(visit?.Day), Cell.Date(v.DoneOn), Cell.Bool(v.Missed),
                Cell.Number(v.StudyDay), Cell.Bool(v.InWindow));
        }

        return table;
    }

    private static Table FormLong(ExportSnapshot s, FormLayout layout)
    {
        var table = new Table(FormLongFile(layout.Code), $"Form {layout.Code}, long layout: one row per entered value or derived score of each form entry.",
        [
            ("participant", "Participant number."),
            ("site", "Site code."),
            ("visit", "Visit code."),
            ("form", "Form code."),
            ("protocol_version", "Protocol version the form was collected under; its definition in data_dictionary.csv types the value."),
            ("status", "Draft or Complete."),
            ("kind", "item for an entered field value, score for a score derived on the server from the items."),
            ("field", "Field code (kind item) or score code (kind score)."),
            ("value", "The stored text exactly (kind item; see data_dictionary.csv for its type; a multiple choice is its codes joined by commas) or the score total (kind score). Fields left empty have no row."),
            ("updated_at_utc", "Instant of the entry's last change, ISO 8601 UTC."),
            ("updated_by", "Name of the person who last changed the entry."),
            ("completed_at_utc", "Instant the entry was first marked complete, ISO 8601 UTC; empty for a draft."),
        ]);
        foreach (var f in s.Forms.Where(f => f.FormCode == layout.Code))
        {
            var definition = s.Version(f.ProtocolSequence).Protocol.FindForm(f.FormCode);
            Cell[] Row(string kind, string code, Cell value) =>
            [
                Cell.Text(f.Participant), Cell.Text(f.SiteCode), Cell.Text(f.VisitCode), Cell.Text(f.FormCode), Cell.Number(f.ProtocolSequence), Cell.Text(f.Status.ToString()),
                Cell.Text(kind), Cell.Text(code), value, Cell.Instant(f.UpdatedAt), Cell.Text(f.UpdatedByName), Cell.Instant(f.CompletedAt),
            ];

            foreach (var code in InOrder(definition?.Fields.Select(d => d.Code), f.Values.Keys))
            {
                table.Add(Row("item", code, Cell.Value(definition?.FindField(code), f.Values[code])));
            }

            foreach (var code in InOrder(definition?.Scores.Select(d => d.Code), f.Scores.Keys))
            {
                table.Add(Row("score", code, Cell.Number(f.Scores[code])));
            }
        }

        return table;
    }

    private static Table FormWide(ExportSnapshot s, FormLayout layout)
    {
        var columns = new List<(string, string)>
        {
            ("participant", "Participant number."),
            ("site", "Site code."),
            ("visit", "Visit code."),
            ("protocol_version", "Protocol version the form was collected under."),
            ("status", "Draft or Complete."),
            ("completed_at_utc", "Instant the entry was first marked complete, ISO 8601 UTC; empty for a draft."),
        };
        columns.AddRange(layout.Fields.Select(c => (c.Column, c.Description)));
        columns.AddRange(layout.Scores.Select(c => (c.Column, c.Description)));
        var table = new Table(FormWideFile(layout.Code), $"Form {layout.Code}, wide layout: one row per participant and visit, a column per field and per score.", columns);
        foreach (var f in s.Forms.Where(f => f.FormCode == layout.Code))
        {
            var definition = s.Version(f.ProtocolSequence).Protocol.FindForm(f.FormCode);
            var row = new List<Cell>
            {
                Cell.Text(f.Participant), Cell.Text(f.SiteCode), Cell.Text(f.VisitCode), Cell.Number(f.ProtocolSequence), Cell.Text(f.Status.ToString()), Cell.Instant(f.CompletedAt),
            };
            row.AddRange(layout.Fields.Select(c => f.Values.TryGetValue(c.Code, out var value) ? Cell.Value(definition?.FindField(c.Code), value) : Cell.Empty));
            row.AddRange(layout.Scores.Select(c => f.Scores.TryGetValue(c.Code, out var total) ? Cell.Number(total) : Cell.Empty));
            table.Add([.. row]);
        }

        return table;
    }

    private static Table AdverseEvents(ExportSnapshot s)
    {
        var table = new Table(AdverseEventsFile, "One row per adverse event, as its latest report version states it.",
        [
            ("participant", "Participant number."),
            ("site", "Site code."),
            ("event", "Event number (participant number and the event's sequence)."),
            ("version", "Report version these values come from (1 = initial report, then follow-ups)."),
            ("reported_term", "Term as the site reported it."),
            ("coded_term", "Coded (dictionary) term; empty until coded."),
            ("code", "Dictionary code of the coded term."),
            ("onset", "Onset date."),
            ("end", "End date; empty while ongoing."),
            ("grade", "Severity grade."),
            ("serious", "true when serious, else false."),
            ("seriousness_criteria", "Seriousness criterion codes from the protocol, joined by commas; empty when not serious."),
            ("causality", "Investigator's causality assessment."),
            ("action_taken", "Action taken with the study drug."),
            ("outcome", "Outcome."),
            ("special_interest", "Code of the adverse event of special interest, if any."),
            ("site_aware_at_utc", "Instant the site learned of the event (this version), ISO 8601 UTC."),
            ("received_at_utc", "Instant the sponsor received this version, ISO 8601 UTC."),
        ]);
        foreach (var a in s.AdverseEvents)
        {
            // Stored joined by "|"; written with commas like every other list of codes in the package.
            var criteria = string.Join(',', a.SeriousnessCriteria.Split(['|', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            table.Add(
                Cell.Text(a.Participant), Cell.Text(a.SiteCode), Cell.Text(a.Number), Cell.Number(a.Version), Cell.Text(a.ReportedTerm), Cell.Text(a.CodedTerm), Cell.Text(a.Code),
                Cell.Date(a.Onset), Cell.Date(a.End), Cell.Number(a.Grade), Cell.Bool(a.Serious), Cell.Text(criteria), Cell.Text(a.Causality.ToString()),
                Cell.Text(a.ActionTaken.ToString()), Cell.Text(a.Outcome.ToString()), Cell.Text(a.SpecialInterestCode), Cell.Instant(a.SiteAwareAt), Cell.Instant(a.ReceivedAt));
        }

        return table;
    }

    private static Table Diary(ExportSnapshot s)
    {
        var table = new Table(DiaryFile, "One row per study day the participant's dosing diary answers.",
        [
            ("participant", "Participant number."),
            ("site", "Site code."),
            ("study_day", "Study day (day 0 = randomization)."),
            ("took_dose", "true when the participant took a dose that day, else false."),
        ]);
        foreach (var d in s.Diary)
        {
            table.Add(Cell.Text(d.Participant), Cell.Text(d.SiteCode), Cell.Number(d.StudyDay), Cell.Bool(d.TookDose));
        }

        return table;
    }

    private static Table Kits(ExportSnapshot s)
    {
        var table = new Table(KitsFile, "One row per kit handed to a participant, with its pill count and adherence once returned.",
        [
            ("participant", "Participant number."),
            ("site", "Site code."),
            ("kit", "Kit code (random; says nothing of the arm)."),
            ("visit", "Visit at which the kit was dispensed."),
            ("kind", "Randomization, Visit or Replacement."),
            ("dispensed_on", "Dispensing date (site calendar)."),
            ("units_per_kit", "Units a full kit holds."),
            ("returned_on", "Date the kit came back; empty while the participant has it."),
            ("unused_units_returned", "Unused units counted at return (the pill count)."),
            ("doses_scheduled", "Doses the dosing schedule called for while the participant had the kit."),
            ("doses_taken", "Doses taken according to the pill count."),
            ("adherence_percent", "doses_taken over doses_scheduled in percent, one decimal; empty before return or when nothing was scheduled."),
        ]);
        foreach (var k in s.Kits)
        {
            table.Add(
                Cell.Text(k.Participant), Cell.Text(k.SiteCode), Cell.Text(k.KitCode), Cell.Text(k.VisitCode), Cell.Text(k.Kind.ToString()), Cell.Date(k.DispensedOn),
                Cell.Number(k.UnitsPerKit), Cell.Date(k.ReturnedOn), Cell.Number(k.UnusedUnitsReturned), Cell.Number(k.DosesScheduled), Cell.Number(k.DosesTaken),
                Cell.Number(k.AdherencePercent));
        }

        return table;
    }

    private static Table Dictionary(ExportSnapshot s)
    {
        var table = new Table(DictionaryFile, "One row per field and per derived score of every form of every protocol version.",
        [
            ("protocol_version", "Protocol version (the protocol_version of the data files)."),
            ("protocol_version_label", "The version as the protocol document names it."),
            ("form", "Form code (forms/<form>_long.csv and forms/<form>_wide.csv)."),
            ("form_title", "Form title."),
            ("kind", "item for a field, score for a derived score."),
            ("field", "Field or score code (the field column of the long layout)."),
            ("wide_column", "The column holding it in the wide layout."),
            ("label", "Label shown on the form."),
            ("type", "integer, decimal, text, date, single_choice, multiple_choice or yes_no; a score is an integer."),
            ("unit", "Unit of measure."),
            ("required", "true when the field must be filled for the form to be complete."),
            ("minimum", "Smallest allowed value (a score's smallest possible total)."),
            ("maximum", "Largest allowed value (a score's largest possible total)."),
            ("max_length", "Longest text allowed, in characters."),
            ("decimal_places", "Most decimal places allowed."),
            ("choices", "Allowed codes as code=label joined by \" | \" (yes_no: yes and no); a multiple choice value is its codes joined by commas."),
            ("items", "For a score: the codes of the fields summed, joined by commas."),
            ("bands", "For a score: severity bands as code=label [minimum..maximum] joined by \" | \"."),
        ]);
        var layouts = FormCodes(s).ToDictionary(code => code, code => new FormLayout(s, code), StringComparer.Ordinal);
        foreach (var version in s.ProtocolVersions)
        {
            foreach (var form in version.Protocol.Forms)
            {
                var layout = layouts[form.Code];
                foreach (var f in form.Fields)
                {
                    var choices = f.Type == FieldType.YesNo ? $"{YesNo.Yes}=Yes | {YesNo.No}=No" : string.Join(" | ", f.Choices.Select(c => $"{c.Code}={c.Label}"));
                    table.Add(
                        Cell.Number(version.Sequence), Cell.Text(version.Version), Cell.Text(form.Code), Cell.Text(form.Title), Cell.Text("item"), Cell.Text(f.Code),
                        Cell.Text(layout.Fields.Single(c => c.Code == f.Code).Column), Cell.Text(f.Label), Cell.Text(TypeName(f.Type)), Cell.Text(f.Unit), Cell.Bool(f.Required),
                        Cell.Number(f.Minimum), Cell.Number(f.Maximum), Cell.Number(f.MaxLength ?? (f.Type == FieldType.Text ? f.EffectiveMaxLength : null)), Cell.Number(f.DecimalPlaces),
                        Cell.Text(choices), Cell.Empty, Cell.Empty);
                }

                foreach (var score in form.Scores)
                {
                    var bands = string.Join(" | ", score.Bands.Select(b => string.Create(CultureInfo.InvariantCulture, $"{b.Code}={b.Label} [{b.Minimum}..{b.Maximum}]")));
                    table.Add(
                        Cell.Number(version.Sequence), Cell.Text(version.Version), Cell.Text(form.Code), Cell.Text(form.Title), Cell.Text("score"), Cell.Text(score.Code),
                        Cell.Text(layout.Scores.Single(c => c.Code == score.Code).Column), Cell.Text(score.Label), Cell.Text("integer"), Cell.Empty, Cell.Empty,
                        Cell.Number(score.Minimum), Cell.Number(score.Maximum), Cell.Empty, Cell.Empty, Cell.Empty, Cell.Text(string.Join(',', score.Items)), Cell.Text(bands));
                }
            }
        }

        return table;
    }

    private static string Readme(ExportSnapshot s, List<Table> tables)
    {
        var t = s.Trial;
        var text = new StringBuilder();
        void Line(string line = "") => text.Append(line).Append("\r\n");
        Line(string.Create(CultureInfo.InvariantCulture, $"Trial {t.Code}: {t.Title}"));
        Line($"Sponsor: {t.Sponsor}");
        Line($"Registry id: {t.RegistryId}");
        Line($"Phase: {t.Phase}");
        Line($"Exported at: {Cell.Instant(t.ExportedAt).Content} (UTC)");
        Line($"Exported by: {t.ExportedByName}");
        Line(s.Unblinded
            ? "Blinding: UNBLINDED. participants.csv holds each randomized participant's arm (arm_code, arm_label). Keep this package away from anyone who must stay blinded."
            : "Blinding: blinded. No file holds an arm, an arm code or an arm label.");
        Line($"Database lock: {t.Lock} (Open: data may still change; Soft: no new or changed data; Hard: nothing changes)");
        Line("Protocol versions (the protocol_version column of the files):");
        foreach (var v in s.ProtocolVersions)
        {
            Line(string.Create(CultureInfo.InvariantCulture, $"  {v.Sequence} = version {v.Version} (content SHA-256 {v.ContentHash})"));
        }

        Line();
        Line("Files");
        Line($"  {ReadmeFile}: this text.");
        Line($"  {ManifestFile}: every other file with its row count and SHA-256, to check the package is complete and unchanged.");
        foreach (var table in tables)
        {
            Line($"  {table.File}: {table.Purpose}");
        }

        Line();
        Line("How values are written");
        Line("  - UTF-8 without a byte order mark; comma separated; CRLF line ends; a header row in every CSV file.");
        Line("  - RFC 4180 quoting: a cell holding a comma, a double quote or a line break is enclosed in double quotes, and a double quote inside it is doubled.");
        Line("  - An empty cell means no value.");
        Line("  - Dates are yyyy-MM-dd, in the site's calendar. Instants (columns ending in _utc) are ISO 8601 in UTC with a Z, to the microsecond.");
        Line("  - Numbers use a dot as decimal separator and no thousands separators. Booleans are true or false.");
        Line("  - Study days count from the randomization date (day 0).");
        Line("  - Form values are the text stored in the database, exactly; data_dictionary.csv gives each field's type, unit, range and choices for the");
        Line("    protocol version in the row's protocol_version. Yes/no fields hold yes or no; choices hold their codes; a multiple choice holds its codes");
        Line("    joined by commas (for example a,c), in the protocol's order. Derived scores are totals computed on the server when the form was saved.");
        Line("  - Wide layouts name a field's column by its code and a score's column score_<code>; data_dictionary.csv (wide_column) gives each column.");
        Line("  - columns.csv describes every column of every CSV file.");
        Line("  - Spreadsheet formula protection: a text cell whose value starts with =, +, -, @, a tab or a carriage return is written with an");
        Line("    apostrophe (') in front, so that spreadsheets show it as text instead of running it. A stored value that itself starts with one or");
        Line("    more apostrophes followed by one of those characters gets one more apostrophe. To read the exact stored value back, remove ONE");
        Line("    leading apostrophe from every cell that starts with one or more apostrophes followed by =, +, -, @, a tab or a carriage return.");
        Line("    Numbers are never prefixed (a negative number is written as -5).");
        return text.ToString();
    }

    private static async Task<byte[]> RenderAsync(Table table, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await using (var csv = CsvWriter.Create(buffer, new CsvWriterOptions { Injection = CsvInjection.Escape }, leaveOpen: true))
        {
            await csv.WriteRecordAsync([.. table.Columns.Select(c => c.Name)], ct);
            foreach (var row in table.Rows)
            {
                foreach (var cell in row)
                {
                    if (cell.Numeric is { } number)
                    {
                        // Written as a number, which CsvHelper never prefixes: -5 stays -5.
                        csv.WriteField(number, default);
                    }
                    else
                    {
                        csv.WriteField(NeedsExtraEscape(cell.Content) ? InjectionEscape + cell.Content : cell.Content);
                    }
                }

                await csv.EndRecordAsync(ct);
            }

            await csv.FlushAsync(ct);
        }

        return buffer.ToArray();
    }

    private static async Task<byte[]> ZipAsync(List<(string Name, byte[] Bytes, int? Rows)> files, DateTimeOffset at, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes, _) in files)
            {
                var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
                // A fixed time (the export's) keeps the archive's bytes a function of the snapshot alone.
                entry.LastWriteTime = at.ToUniversalTime();
                await using var stream = await entry.OpenAsync(ct);
                await stream.WriteAsync(bytes, ct);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>Every form of every protocol version (newest version's order first), then forms only the data names.</summary>
    private static List<string> FormCodes(ExportSnapshot s)
    {
        var codes = new List<string>();
        foreach (var version in s.ProtocolVersions.Reverse())
        {
            codes.AddRange(version.Protocol.Forms.Select(f => f.Code).Where(c => !codes.Contains(c, StringComparer.Ordinal)));
        }

        codes.AddRange(s.Forms.Select(f => f.FormCode).Distinct(StringComparer.Ordinal).Where(c => !codes.Contains(c, StringComparer.Ordinal)).Order(StringComparer.Ordinal));
        return codes;
    }

    private static Visit? FindVisit(ExportSnapshot s, string code) =>
        s.ProtocolVersions.Reverse().Select(v => v.Protocol.FindVisit(code)).FirstOrDefault(v => v is not null);

    /// <summary>The defined codes first, in definition order, then any others present, in code order.</summary>
    private static IEnumerable<string> InOrder(IEnumerable<string>? defined, IEnumerable<string> present)
    {
        var have = present.ToHashSet(StringComparer.Ordinal);
        var order = (defined ?? []).Where(have.Contains).ToList();
        return order.Concat(have.Except(order, StringComparer.Ordinal).Order(StringComparer.Ordinal));
    }

    private static string TypeName(FieldType type) => type switch
    {
        FieldType.Integer => "integer",
        FieldType.Decimal => "decimal",
        FieldType.Text => "text",
        FieldType.Date => "date",
        FieldType.SingleChoice => "single_choice",
        FieldType.MultipleChoice => "multiple_choice",
        FieldType.YesNo => "yes_no",
        _ => type.ToString(),
    };

    /// <summary>The columns of one form's wide layout: its fields and scores over every protocol version, newest first.</summary>
    private sealed class FormLayout
    {
        private static readonly string[] FixedColumns = ["participant", "site", "visit", "protocol_version", "status", "completed_at_utc"];

        public FormLayout(ExportSnapshot s, string code)
        {
            Code = code;
            var taken = new HashSet<string>(FixedColumns, StringComparer.Ordinal);
            var definitions = s.ProtocolVersions.Reverse().Select(v => v.Protocol.FindForm(code)).OfType<FormDefinition>().ToList();
            var entries = s.Forms.Where(f => f.FormCode == code).ToList();
            foreach (var field in Union(definitions.Select(d => d.Fields.Select(f => f.Code)), entries.SelectMany(e => e.Values.Keys)))
            {
                var definition = definitions.Select(d => d.FindField(field)).FirstOrDefault(f => f is not null);
                var description = definition is null
                    ? $"Field {field}, which no protocol version defines: the stored text."
                    : $"Field {field}: {definition.Label} ({TypeName(definition.Type)}{(definition.Unit is null ? "" : ", " + definition.Unit)}); the stored text, see data_dictionary.csv. Empty when not entered.";
                Fields.Add(new WideColumn(field, Unique(field, taken), description));
            }

            foreach (var score in Union(definitions.Select(d => d.Scores.Select(c => c.Code)), entries.SelectMany(e => e.Scores.Keys)))
            {
                var definition = definitions.Select(d => d.FindScore(score)).FirstOrDefault(c => c is not null);
                var description = definition is null
                    ? $"Score {score}, which no protocol version defines: its total."
                    : $"Score {score}: {definition.Label}, the total of {string.Join(", ", definition.Items)}; empty unless every item was entered.";
                Scores.Add(new WideColumn(score, Unique("score_" + score, taken), description));
            }
        }

        public string Code { get; }

        public List<WideColumn> Fields { get; } = [];

        public List<WideColumn> Scores { get; } = [];

        private static List<string> Union(IEnumerable<IEnumerable<string>> defined, IEnumerable<string> present)
        {
            var codes = new List<string>();
            foreach (var list in defined)
            {
                codes.AddRange(list.Where(c => !codes.Contains(c, StringComparer.Ordinal)));
            }

            codes.AddRange(present.Distinct(StringComparer.Ordinal).Where(c => !codes.Contains(c, StringComparer.Ordinal)).Order(StringComparer.Ordinal));
            return codes;
        }

        /// <summary>The wanted name, or with _2, _3, ... when a fixed column or an earlier one already has it.</summary>
        private static string Unique(string wanted, HashSet<string> taken)
        {
            var name = wanted;
            for (var i = 2; !taken.Add(name); i++)
            {
                name = string.Create(CultureInfo.InvariantCulture, $"{wanted}_{i}");
            }

            return name;
        }
    }

    private sealed record WideColumn(string Code, string Column, string Description);

    private sealed class Table(string file, string purpose, IReadOnlyList<(string Name, string Description)> columns)
    {
        public string File { get; } = file;

        public string Purpose { get; } = purpose;

        public IReadOnlyList<(string Name, string Description)> Columns { get; } = columns;

        public List<Cell[]> Rows { get; } = [];

        public void Add(params Cell[] row)
        {
            if (row.Length != Columns.Count)
            {
                throw new InvalidOperationException($"{File}: a row of {row.Length} cells for {Columns.Count} columns.");
            }

            Rows.Add(row);
        }
    }

    /// <summary>A cell: text (protected from formula injection) or a number (written as is).</summary>
    private readonly record struct Cell(string Content, decimal? Numeric)
    {
        public static Cell Empty => new("", null);

        public static Cell Text(string? text) => new(text ?? "", null);

        public static Cell Number(decimal? number) => number is null ? Empty : new("", number);

        public static Cell Date(DateOnly? date) => Text(date?.ToString(DateFormat, CultureInfo.InvariantCulture));

        public static Cell Instant(DateTimeOffset? instant) => Text(instant?.UtcDateTime.ToString(InstantFormat, CultureInfo.InvariantCulture));

        public static Cell Bool(bool? value) => Text(value switch { true => "true", false => "false", null => null });

        /// <summary>
        /// A stored form value: a number when the field is numeric-like and the text is the number's canonical form (so
        /// it is written back character for character), else text.
        /// </summary>
        public static Cell Value(FieldDefinition? field, string stored) =>
            field is not null && field.Type != FieldType.Text
            && decimal.TryParse(stored, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            && number.ToString(CultureInfo.InvariantCulture) == stored
                ? new("", number)
                : Text(stored);
    }
}
