namespace TrialManager.Web.Features;

/// <summary>Reads a posted choice as an enum member by its exact name; numbers ("3") and unknown names are refused.</summary>
public static class EnumInput
{
    public static bool TryRead<T>(string? text, out T value)
        where T : struct, Enum =>
        Enum.TryParse(text, ignoreCase: false, out value) && Enum.IsDefined(value) && !int.TryParse(text, out _);
}
