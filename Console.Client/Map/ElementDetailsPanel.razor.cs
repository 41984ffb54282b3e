using Microsoft.AspNetCore.Components;

namespace OpsConsole.Console.Client.Map;

/// <summary>The details of one element: what it is, who is below it, and the chain above it.</summary>
public partial class ElementDetailsPanel
{
    [Parameter, EditorRequired]
    public required ElementDetails Details { get; set; }

    /// <summary>Raised with an element id when a link of the upstream chain is followed.</summary>
    [Parameter]
    public EventCallback<string> OnSelect { get; set; }

    [Parameter]
    public EventCallback OnClose { get; set; }

    private string KindText => Details.Subtype is { Length: > 0 } sub ? $"{Details.Kind} ({sub})" : Details.Kind;

    private string Title => Details.Name ?? Details.Id;
}
