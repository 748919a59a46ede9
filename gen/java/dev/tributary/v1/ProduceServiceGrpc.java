package dev.tributary.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * Appends records to topics.
 * </pre>
 */
@javax.annotation.Generated(
    value = "by gRPC proto compiler",
    comments = "Source: tributary/v1/produce.proto")
@io.grpc.stub.annotations.GrpcGenerated
public final class ProduceServiceGrpc {

  private ProduceServiceGrpc() {}

  public static final String SERVICE_NAME = "tributary.v1.ProduceService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.ProduceRequest,
      dev.tributary.v1.ProduceResponse> getProduceMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Produce",
      requestType = dev.tributary.v1.ProduceRequest.class,
      responseType = dev.tributary.v1.ProduceResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.ProduceRequest,
      dev.tributary.v1.ProduceResponse> getProduceMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.ProduceRequest, dev.tributary.v1.ProduceResponse> getProduceMethod;
    if ((getProduceMethod = ProduceServiceGrpc.getProduceMethod) == null) {
      synchronized (ProduceServiceGrpc.class) {
        if ((getProduceMethod = ProduceServiceGrpc.getProduceMethod) == null) {
          ProduceServiceGrpc.getProduceMethod = getProduceMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.ProduceRequest, dev.tributary.v1.ProduceResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Produce"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.ProduceRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.ProduceResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ProduceServiceMethodDescriptorSupplier("Produce"))
              .build();
        }
      }
    }
    return getProduceMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.ProduceRequest,
      dev.tributary.v1.ProduceStreamResponse> getProduceStreamMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ProduceStream",
      requestType = dev.tributary.v1.ProduceRequest.class,
      responseType = dev.tributary.v1.ProduceStreamResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.ProduceRequest,
      dev.tributary.v1.ProduceStreamResponse> getProduceStreamMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.ProduceRequest, dev.tributary.v1.ProduceStreamResponse> getProduceStreamMethod;
    if ((getProduceStreamMethod = ProduceServiceGrpc.getProduceStreamMethod) == null) {
      synchronized (ProduceServiceGrpc.class) {
        if ((getProduceStreamMethod = ProduceServiceGrpc.getProduceStreamMethod) == null) {
          ProduceServiceGrpc.getProduceStreamMethod = getProduceStreamMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.ProduceRequest, dev.tributary.v1.ProduceStreamResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ProduceStream"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.ProduceRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.ProduceStreamResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ProduceServiceMethodDescriptorSupplier("ProduceStream"))
              .build();
        }
      }
    }
    return getProduceStreamMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static ProduceServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ProduceServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ProduceServiceStub>() {
        @java.lang.Override
        public ProduceServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ProduceServiceStub(channel, callOptions);
        }
      };
    return ProduceServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static ProduceServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ProduceServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ProduceServiceBlockingStub>() {
        @java.lang.Override
        public ProduceServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ProduceServiceBlockingStub(channel, callOptions);
        }
      };
    return ProduceServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static ProduceServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ProduceServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ProduceServiceFutureStub>() {
        @java.lang.Override
        public ProduceServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ProduceServiceFutureStub(channel, callOptions);
        }
      };
    return ProduceServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * Appends records to topics.
   * </pre>
   */
  public static abstract class ProduceServiceImplBase implements io.grpc.BindableService {

    /**
     * <pre>
     * Appends a batch of records to one topic. Records for the same partition keep
     * the request's order and take consecutive offsets. Errors carry a stable
     * `reason` in the trailing metadata (`tributary-reason`).
     * </pre>
     */
    public void produce(dev.tributary.v1.ProduceRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.ProduceResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getProduceMethod(), responseObserver);
    }

    /**
     * <pre>
     * Produce over one long-lived stream, for a producer that sends many
     * requests: no call is set up per request. Each ProduceRequest sent is
     * handled as a Produce would be (the same limits, permissions, quotas and
     * appends), in the order sent, and answered by one ProduceStreamResponse, in
     * that order. A request that fails is answered with its error and the stream
     * goes on; the stream itself ends with a status only when it cannot go on
     * (authentication, a message over the server's size limit, the broker
     * stopping). The broker handles up to 1024 requests of a stream at once and
     * reads no further until the oldest is answered (HTTP/2 flow control then
     * holds the sender back). The TypeScript Producer sends over it.
     * </pre>
     */
    public io.grpc.stub.StreamObserver<dev.tributary.v1.ProduceRequest> produceStream(
        io.grpc.stub.StreamObserver<dev.tributary.v1.ProduceStreamResponse> responseObserver) {
      return io.grpc.stub.ServerCalls.asyncUnimplementedStreamingCall(getProduceStreamMethod(), responseObserver);
    }

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
          .addMethod(
            getProduceMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.ProduceRequest,
                dev.tributary.v1.ProduceResponse>(
                  this, METHODID_PRODUCE)))
          .addMethod(
            getProduceStreamMethod(),
            io.grpc.stub.ServerCalls.asyncBidiStreamingCall(
              new MethodHandlers<
                dev.tributary.v1.ProduceRequest,
                dev.tributary.v1.ProduceStreamResponse>(
                  this, METHODID_PRODUCE_STREAM)))
          .build();
    }
  }

  /**
   * <pre>
   * Appends records to topics.
   * </pre>
   */
  public static final class ProduceServiceStub extends io.grpc.stub.AbstractAsyncStub<ProduceServiceStub> {
    private ProduceServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ProduceServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ProduceServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Appends a batch of records to one topic. Records for the same partition keep
     * the request's order and take consecutive offsets. Errors carry a stable
     * `reason` in the trailing metadata (`tributary-reason`).
     * </pre>
     */
    public void produce(dev.tributary.v1.ProduceRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.ProduceResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getProduceMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Produce over one long-lived stream, for a producer that sends many
     * requests: no call is set up per request. Each ProduceRequest sent is
     * handled as a Produce would be (the same limits, permissions, quotas and
     * appends), in the order sent, and answered by one ProduceStreamResponse, in
     * that order. A request that fails is answered with its error and the stream
     * goes on; the stream itself ends with a status only when it cannot go on
     * (authentication, a message over the server's size limit, the broker
     * stopping). The broker handles up to 1024 requests of a stream at once and
     * reads no further until the oldest is answered (HTTP/2 flow control then
     * holds the sender back). The TypeScript Producer sends over it.
     * </pre>
     */
    public io.grpc.stub.StreamObserver<dev.tributary.v1.ProduceRequest> produceStream(
        io.grpc.stub.StreamObserver<dev.tributary.v1.ProduceStreamResponse> responseObserver) {
      return io.grpc.stub.ClientCalls.asyncBidiStreamingCall(
          getChannel().newCall(getProduceStreamMethod(), getCallOptions()), responseObserver);
    }
  }

  /**
   * <pre>
   * Appends records to topics.
   * </pre>
   */
  public static final class ProduceServiceBlockingStub extends io.grpc.stub.AbstractBlockingStub<ProduceServiceBlockingStub> {
    private ProduceServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ProduceServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ProduceServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Appends a batch of records to one topic. Records for the same partition keep
     * the request's order and take consecutive offsets. Errors carry a stable
     * `reason` in the trailing metadata (`tributary-reason`).
     * </pre>
     */
    public dev.tributary.v1.ProduceResponse produce(dev.tributary.v1.ProduceRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getProduceMethod(), getCallOptions(), request);
    }
  }

  /**
   * <pre>
   * Appends records to topics.
   * </pre>
   */
  public static final class ProduceServiceFutureStub extends io.grpc.stub.AbstractFutureStub<ProduceServiceFutureStub> {
    private ProduceServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ProduceServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ProduceServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Appends a batch of records to one topic. Records for the same partition keep
     * the request's order and take consecutive offsets. Errors carry a stable
     * `reason` in the trailing metadata (`tributary-reason`).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.ProduceResponse> produce(
        dev.tributary.v1.ProduceRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getProduceMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_PRODUCE = 0;
  private static final int METHODID_PRODUCE_STREAM = 1;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final ProduceServiceImplBase serviceImpl;
    private final int methodId;

    MethodHandlers(ProduceServiceImplBase serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_PRODUCE:
          serviceImpl.produce((dev.tributary.v1.ProduceRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.ProduceResponse>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_PRODUCE_STREAM:
          return (io.grpc.stub.StreamObserver<Req>) serviceImpl.produceStream(
              (io.grpc.stub.StreamObserver<dev.tributary.v1.ProduceStreamResponse>) responseObserver);
        default:
          throw new AssertionError();
      }
    }
  }

  private static abstract class ProduceServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    ProduceServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.tributary.v1.ProduceProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("ProduceService");
    }
  }

  private static final class ProduceServiceFileDescriptorSupplier
      extends ProduceServiceBaseDescriptorSupplier {
    ProduceServiceFileDescriptorSupplier() {}
  }

  private static final class ProduceServiceMethodDescriptorSupplier
      extends ProduceServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final String methodName;

    ProduceServiceMethodDescriptorSupplier(String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (ProduceServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new ProduceServiceFileDescriptorSupplier())
              .addMethod(getProduceMethod())
              .addMethod(getProduceStreamMethod())
              .build();
        }
      }
    }
    return result;
  }
}
