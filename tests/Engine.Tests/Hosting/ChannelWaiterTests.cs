using System.Threading.Channels;
using OpsConsole.Engine.Hosting;

namespace OpsConsole.Engine.Tests.Hosting;

public sealed class ChannelWaiterTests
{
    [Fact]
    public void ItemWaiting_ReturnsTrueAtOnce()
    {
        var channel = Channel.CreateUnbounded<int>();
        channel.Writer.TryWrite(1);
        using var waiter = new ChannelWaiter();

        Assert.True(waiter.WaitToRead(channel.Reader));
        Assert.True(channel.Reader.TryRead(out int item));
        Assert.Equal(1, item);
    }

    [Fact]
    public async Task EmptyChannel_BlocksUntilAWriteThenReturnsTrue_AndAgainForTheNextWrite()
    {
        var channel = Channel.CreateBounded<int>(4);
        using var waiter = new ChannelWaiter();
        var blocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = Task.Factory.StartNew(() =>
        {
            var seen = new List<int>();
            blocked.SetResult();
            while (waiter.WaitToRead(channel.Reader))
            {
                while (channel.Reader.TryRead(out int item))
                {
                    seen.Add(item);
                }
            }

            return seen;
        }, TaskCreationOptions.LongRunning);

        await blocked.Task;
        Assert.False(consumer.IsCompleted);
        for (int i = 1; i <= 100; i++)
        {
            await channel.Writer.WriteAsync(i); // waits for room: the consumer must keep waking up
        }

        channel.Writer.Complete();
        var all = await consumer.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(1, 100), all);
    }

    [Fact]
    public void CompletedAndEmpty_ReturnsFalse()
    {
        var channel = Channel.CreateUnbounded<int>();
        channel.Writer.Complete();
        using var waiter = new ChannelWaiter();

        Assert.False(waiter.WaitToRead(channel.Reader));
    }
}
