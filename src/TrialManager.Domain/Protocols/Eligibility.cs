using System.Globalization;
using System.Text.Json.Serialization;

namespace TrialManager.Domain.Protocols;

public enum CriterionKind
{
    Inclusion,
    Exclusion,
}

/// <summary>
/// One screening question and the answer that keeps the person eligible. A failed hard stop ends screening;
/// a failed criterion that is not a hard stop needs the investigator's documented decision.
/// </summary>
public sealed record EligibilityCriterion(string Code, CriterionKind Kind, string Text, bool HardStop, EligibilityQuestion Question);

/// <summary>How a criterion is answered and which answers qualify.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "answer")]
[JsonDerivedType(typeof(YesNoQuestion), "yes_no")]
[JsonDerivedType(typeof(NumberQuestion), "number")]
[JsonDerivedType(typeof(ChoiceQuestion), "choice")]
public abstract record EligibilityQuestion
{
    /// <summary>Null when the answer qualifies; otherwise why not, in words for the coordinator.</summary>
    public abstract string? Check(string answer);
}

public sealed record YesNoQuestion(bool EligibleAnswer) : EligibilityQuestion
{
    public override string? Check(string answer)
    {
        if (!YesNo.TryParse(answer, out var yes))
        {
            return "Answer yes or no.";
        }

        return yes == EligibleAnswer ? null : $"Answered {YesNo.Format(yes)}; only {YesNo.Format(EligibleAnswer)} qualifies.";
    }
}

/// <summary>
/// A number that must fall in a range (either bound may be open). When <see cref="FromScore"/> is set, the
/// answer is that derived score, taken from the form rather than typed in.
/// </summary>
public sealed record NumberQuestion(decimal? Minimum, decimal? Maximum, string? Unit, ScoreReference? FromScore) : EligibilityQuestion
{
    public override string? Check(string answer)
    {
        if (!decimal.TryParse(answer.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            return "Enter a number, with a dot for decimals (for example 42 or 36.5).";
        }

        return (Minimum is null || value >= Minimum) && (Maximum is null || value <= Maximum)
            ? null
            : $"{value.ToString(CultureInfo.InvariantCulture)} is outside the eligible range {RangeText()}.";
    }

    public string RangeText()
    {
        var unit = Unit is null ? "" : " " + Unit;
        return (Minimum, Maximum) switch
        {
            ({ } min, { } max) => $"{min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}{unit}",
            ({ } min, null) => $"{min.ToString(CultureInfo.InvariantCulture)}{unit} or more",
            (null, { } max) => $"{max.ToString(CultureInfo.InvariantCulture)}{unit} or less",
            _ => "any value",
        };
    }
}

/// <summary>A derived score on a form, named by form code and score code.</summary>
public sealed record ScoreReference(string FormCode, string ScoreCode);

public sealed record ChoiceQuestion(IReadOnlyList<Choice> Choices, IReadOnlyList<string> EligibleAnswers) : EligibilityQuestion
{
    public override string? Check(string answer)
    {
        var choice = Choices.FirstOrDefault(c => c.Code == answer.Trim());
        if (choice is null)
        {
            return $"Choose one of: {string.Join(", ", Choices.Select(c => c.Label))}.";
        }

        return EligibleAnswers.Contains(choice.Code, StringComparer.Ordinal)
            ? null
            : $"Answered '{choice.Label}'; qualifying answers: {string.Join(", ", Choices.Where(c => EligibleAnswers.Contains(c.Code, StringComparer.Ordinal)).Select(c => c.Label))}.";
    }
}

public sealed record EligibilityCriteria(IReadOnlyList<EligibilityCriterion> Criteria)
{
    public IEnumerable<EligibilityCriterion> Inclusion => Criteria.Where(c => c.Kind == CriterionKind.Inclusion);

    public IEnumerable<EligibilityCriterion> Exclusion => Criteria.Where(c => c.Kind == CriterionKind.Exclusion);

    public EligibilityCriterion? Find(string code) => Criteria.FirstOrDefault(c => c.Code == code);

    /// <summary>
    /// Checks screening answers (criterion code to raw answer: "yes"/"no", a number, a choice code). Every
    /// criterion is checked; an unanswered one fails, because eligibility cannot be assumed.
    /// </summary>
    public EligibilityResult Evaluate(IReadOnlyDictionary<string, string?> answers)
    {
        var failures = new List<CriterionFailure>();
        foreach (var criterion in Criteria)
        {
            var reason = answers.TryGetValue(criterion.Code, out var answer) && !string.IsNullOrWhiteSpace(answer)
                ? criterion.Question.Check(answer)
                : "Not answered.";
            if (reason is not null)
            {
                failures.Add(new CriterionFailure(criterion, reason));
            }
        }

        return new EligibilityResult(failures);
    }
}

public sealed record CriterionFailure(EligibilityCriterion Criterion, string Reason);

public sealed record EligibilityResult(IReadOnlyList<CriterionFailure> Failures)
{
    public bool IsEligible => Failures.Count == 0;

    /// <summary>True when a hard-stop criterion failed: the person cannot be enrolled, whatever the investigator decides.</summary>
    public bool HasHardStop => Failures.Any(f => f.Criterion.HardStop);
}

/// <summary>The one spelling of yes/no answers, in forms and screening alike.</summary>
public static class YesNo
{
    public const string Yes = "yes";
    public const string No = "no";

    public static bool TryParse(string? text, out bool yes)
    {
        var trimmed = text?.Trim();
        yes = string.Equals(trimmed, Yes, StringComparison.OrdinalIgnoreCase);
        return yes || string.Equals(trimmed, No, StringComparison.OrdinalIgnoreCase);
    }

    public static string Format(bool yes) => yes ? Yes : No;
}
