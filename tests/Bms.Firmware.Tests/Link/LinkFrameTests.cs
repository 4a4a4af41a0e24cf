using System.Text;
using Bms.Firmware.Link;

namespace Bms.Firmware.Tests.Link;

public class LinkFrameTests
{
    private static byte[] Frame(byte type, byte seq, params byte[] payload)
    {
        var frame = new byte[LinkFrame.HeaderBytes + payload.Length + LinkFrame.TrailerBytes];
        payload.CopyTo(frame, LinkFrame.HeaderBytes);
        int length = LinkFrame.Seal(frame, type, seq, payload.Length);
        Assert.Equal(frame.Length, length);
        return frame;
    }

    private static List<(byte type, byte seq, byte[] payload)> Receive(LinkFrameReader reader, IEnumerable<byte> bytes)
    {
        var frames = new List<(byte, byte, byte[])>();
        foreach (byte b in bytes)
        {
            if (reader.Push(b))
            {
                frames.Add((reader.Type, reader.Sequence, reader.Buffer.AsSpan(LinkFrame.HeaderBytes, reader.PayloadLength).ToArray()));
            }
        }
        return frames;
    }

    [Fact]
    public void Crc16_matches_the_ccitt_false_check_value()
    {
        byte[] text = Encoding.ASCII.GetBytes("123456789");
        Assert.Equal(0x29B1, Crc16Ccitt.Compute(text, 0, text.Length));
    }

    [Fact]
    public void A_sealed_frame_is_received_with_its_type_sequence_and_payload()
    {
        var frame = Frame(LinkMessageType.Sample, 42, 1, 2, 3, 4, 5);
        var frames = Receive(new LinkFrameReader(), frame);

        var single = Assert.Single(frames);
        Assert.Equal(LinkMessageType.Sample, single.type);
        Assert.Equal(42, single.seq);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, single.payload);
    }

    [Fact]
    public void Garbage_and_a_corrupted_frame_are_skipped_and_the_next_frame_is_found()
    {
        var reader = new LinkFrameReader();
        var corrupted = Frame(LinkMessageType.Sample, 1, 9, 9, 9);
        corrupted[7] ^= 0x10;
        var good = Frame(LinkMessageType.Sample, 2, 7, 7);
        var stream = new byte[] { 0x00, 0xA5, 0x13, 0x5A, 0xA5 }.Concat(corrupted).Concat(good);

        var frames = Receive(reader, stream);

        var single = Assert.Single(frames);
        Assert.Equal(2, single.seq);
        Assert.Equal(1, reader.CrcErrors);
    }

    [Fact]
    public void Every_single_bit_flip_in_a_frame_is_detected()
    {
        var original = Frame(LinkMessageType.Decision, 7, Enumerable.Range(0, 40).Select(i => (byte)(i * 13)).ToArray());
        for (int bit = 16; bit < original.Length * 8; bit++) // sync bytes excluded: a broken sync just loses the frame
        {
            var copy = (byte[])original.Clone();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            var frames = Receive(new LinkFrameReader(), copy);
            Assert.Empty(frames);
        }
    }

    [Fact]
    public void An_impossible_length_is_refused_without_waiting_for_its_bytes()
    {
        var reader = new LinkFrameReader();
        var header = new byte[] { LinkFrame.Sync1, LinkFrame.Sync2, LinkMessageType.Sample, 0, 0xFF, 0x7F };
        var good = Frame(LinkMessageType.Sample, 3, 1);

        var frames = Receive(reader, header.Concat(good));

        Assert.Equal(1, reader.LengthErrors);
        Assert.Equal(3, Assert.Single(frames).seq);
    }

    [Fact]
    public void Little_endian_fields_round_trip_including_negative_values()
    {
        var b = new byte[16];
        LinkBytes.PutInt64(b, 0, -1234567890123L);
        LinkBytes.PutInt32(b, 8, int.MinValue);
        LinkBytes.PutInt16(b, 12, short.MinValue);
        LinkBytes.PutInt16(b, 14, 4187);

        Assert.Equal(-1234567890123L, LinkBytes.GetInt64(b, 0));
        Assert.Equal(int.MinValue, LinkBytes.GetInt32(b, 8));
        Assert.Equal(short.MinValue, LinkBytes.GetInt16(b, 12));
        Assert.Equal(4187, LinkBytes.GetUInt16(b, 14));
    }

    [Fact]
    public void Receiving_allocates_nothing()
    {
        var reader = new LinkFrameReader();
        var frame = Frame(LinkMessageType.Sample, 5, new byte[100]);
        Receive(reader, frame);
        long before = GC.GetAllocatedBytesForCurrentThread();
        int received = 0;
        for (int n = 0; n < 100; n++)
        {
            for (int i = 0; i < frame.Length; i++)
            {
                if (reader.Push(frame[i])) received++;
            }
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(100, received);
    }
}
