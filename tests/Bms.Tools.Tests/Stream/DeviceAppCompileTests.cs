using Bms.Tools.Tests.Build;
using Bms.Tools.Tests.IlTools;
using Microsoft.CodeAnalysis;

namespace Bms.Tools.Tests.Stream;

/// <summary>
/// The device-only projects (firmware/Bms.Device, hal/Bms.Hal.Nano) cannot be built here: their nanoFramework
/// packages do not restore. This compiles their sources anyway, as the device build would (nanoFramework's
/// mscorlib, C# 7.3, warnings as errors), against the host-built Bms.Hal/Drivers/Firmware assemblies and
/// declaration-only stand-ins for the members of System.Device.*, System.IO.Ports and
/// nanoFramework.Hardware.Esp32 that the adapters use (signatures as the packages publish them). It catches
/// wiring mistakes against our own API (the part most likely to rot) and keeps both board variants compiling.
/// </summary>
public class DeviceAppCompileTests
{
    private const string NanoApiSurface = """
        namespace System
        {
            public static class Environment { public static long TickCount64 { get { return 0; } } }
        }
        namespace System.Device.Gpio
        {
            public enum PinMode { Input, Output, InputPullDown, InputPullUp }
            public struct PinValue
            {
                private readonly byte _value;
                private PinValue(byte value) { _value = value; }
                public static PinValue Low { get { return new PinValue(0); } }
                public static PinValue High { get { return new PinValue(1); } }
                public static bool operator ==(PinValue a, PinValue b) { return a._value == b._value; }
                public static bool operator !=(PinValue a, PinValue b) { return a._value != b._value; }
                public override bool Equals(object obj) { return obj is PinValue && ((PinValue)obj)._value == _value; }
                public override int GetHashCode() { return _value; }
            }
            public class GpioPin
            {
                public void Write(PinValue value) { }
                public PinValue Read() { return PinValue.Low; }
            }
            public class GpioController
            {
                public GpioPin OpenPin(int pinNumber, PinMode mode) { return new GpioPin(); }
            }
        }
        namespace System.Device.I2c
        {
            public enum I2cBusSpeed { StandardMode, FastMode }
            public enum I2cTransferStatus { UnknownError, FullTransfer, ClockStretchTimeout, PartialTransfer, SlaveAddressNotAcknowledged }
            public struct I2cTransferResult
            {
                public I2cTransferStatus Status { get { return I2cTransferStatus.FullTransfer; } }
                public uint BytesTransferred { get { return 0; } }
            }
            public sealed class I2cConnectionSettings
            {
                public I2cConnectionSettings(int busId, int deviceAddress, I2cBusSpeed busSpeed) { }
            }
            public class I2cDevice
            {
                public static I2cDevice Create(I2cConnectionSettings settings) { return new I2cDevice(); }
                public I2cTransferResult Write(System.SpanByte buffer) { return new I2cTransferResult(); }
                public I2cTransferResult Read(System.SpanByte buffer) { return new I2cTransferResult(); }
                public I2cTransferResult WriteRead(System.SpanByte writeBuffer, System.SpanByte readBuffer) { return new I2cTransferResult(); }
            }
        }
        namespace System.Device.Spi
        {
            public enum SpiMode { Mode0, Mode1, Mode2, Mode3 }
            public sealed class SpiConnectionSettings
            {
                public SpiConnectionSettings(int busId, int chipSelectLine) { }
                public int ClockFrequency { get; set; }
                public SpiMode Mode { get; set; }
                public int DataBitLength { get; set; }
            }
            public class SpiDevice
            {
                public static SpiDevice Create(SpiConnectionSettings settings) { return new SpiDevice(); }
                public void Write(System.SpanByte buffer) { }
                public void TransferFullDuplex(System.SpanByte writeBuffer, System.SpanByte readBuffer) { }
            }
        }
        namespace System.IO.Ports
        {
            public enum Parity { None, Odd, Even, Mark, Space }
            public enum StopBits { None, One, Two, OnePointFive }
            public class SerialPort
            {
                public SerialPort(string portName, int baudRate, Parity parity, int dataBits, StopBits stopBits) { }
                public int BytesToRead { get { return 0; } }
                public void Open() { }
                public int Read(byte[] buffer, int offset, int count) { return 0; }
                public void Write(byte[] buffer, int offset, int count) { }
                public void WriteLine(string text) { }
            }
        }
        namespace nanoFramework.Hardware.Esp32
        {
            public enum DeviceFunction { I2C1_DATA, I2C1_CLOCK, SPI1_MOSI, SPI1_MISO, SPI1_CLOCK, COM2_TX, COM2_RX }
            public static class Configuration { public static void SetPinFunction(int pin, DeviceFunction function) { } }
        }
        """;

    private static NanoCompilation.Result CompileDeviceApp(string board, Func<string, string>? editProgram = null)
    {
        var sources = new List<string> { NanoApiSurface };
        sources.AddRange(Directory.GetFiles(Path.Combine(RepoPaths.Root, "hal", "Bms.Hal.Nano"), "*.cs").Select(File.ReadAllText));
        string program = File.ReadAllText(Path.Combine(RepoPaths.Root, "firmware", "Bms.Device", "Program.cs"));
        sources.Add(editProgram is null ? program : editProgram(program));
        var references = new[]
        {
            typeof(Bms.Hal.ISerialChannel).Assembly.Location,
            typeof(Bms.Drivers.Fram.Mb85rcFram).Assembly.Location,
            typeof(Bms.Firmware.Application.DeviceRuntime).Assembly.Location,
        }.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p));
        return NanoCompilation.Compile(sources, "Bms.Device", OutputKind.ConsoleApplication,
            preprocessorSymbols: new[] { board }, extraReferences: references);
    }

    [Fact]
    public void The_check_sees_a_wiring_mistake()
    {
        var result = CompileDeviceApp("ESP32", p => p.Replace("runtime.Step();", "runtime.Step(5);"));
        Assert.False(result.Success);
        Assert.Contains("CS1501", result.ErrorText);
    }

    [Theory]
    [InlineData("ESP32")]
    [InlineData("STM32")]
    public void Device_application_and_nano_adapters_compile_for_each_board(string board)
    {
        var result = CompileDeviceApp(board);
        Assert.True(result.Success, result.ErrorText);
    }
}
